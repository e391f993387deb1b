import type { PrincipalView } from '../contracts/api.js';
import type { Actor } from '../contracts/event.js';

/**
 * An authenticated identity. `system` marks tunegate's own local operator
 * (bootstrap, embedded CLI): it is recorded as a `system` actor in the ledger.
 */
export interface Principal extends PrincipalView {
  system?: boolean;
}

/** The result of authenticating a request. */
export interface AuthContext {
  principal: Principal;
  /** Token used, or null for the local (embedded) operator. */
  tokenId: string | null;
}

/** The ledger actor for a principal. */
export function actorOf(principal: Principal): Actor {
  if (principal.system) return { id: principal.id, type: 'system' };
  if (principal.roles.length === 1 && principal.roles[0] === 'runner')
    return { id: principal.id, type: 'runner' };
  return { id: principal.id, type: 'principal' };
}

/**
 * The local operator of an embedded store: whoever can read the database file
 * already controls it, so the CLI acts as a tenant admin and auditor (never an
 * approver: separation of duties holds for the local operator too).
 */
export function localOperator(tenant: string): Principal {
  return {
    id: 'local-operator',
    tenant,
    display_name: 'local operator (embedded CLI)',
    roles: ['admin', 'auditor'],
    disabled: false,
    created_at: new Date(0).toISOString(),
    system: true,
  };
}

import type { PrincipalView } from '../contracts/api.js';
import type { Role } from '../contracts/role.js';
import { AuthError } from './auth-error.js';

/**
 * The one authorisation table: which roles may perform each action. Surfaces
 * name an action per route or command and call {@link authorize}; nothing else
 * decides access. `admin` is a per-tenant role: there is no cross-tenant
 * operator over the API (new tenants are created locally with `tunegate init --tenant`).
 *
 * Separation of duties shows in the table: admins manage identities but do not
 * decide approvals; approvers decide but do not submit.
 */
export const POLICY = {
  /** Read one's own identity. */
  'session.whoami': [
    'admin',
    'data_steward',
    'ml_engineer',
    'approver',
    'security_officer',
    'auditor',
    'runner',
  ],
  /** Append events to the ledger. */
  'events.append': ['admin', 'data_steward', 'ml_engineer', 'security_officer', 'runner'],
  /** Query events and read one event by index. */
  'events.read': ['admin', 'data_steward', 'ml_engineer', 'approver', 'security_officer', 'auditor'],
  /** Checkpoint, inclusion/consistency proofs, receipts, public key. */
  'audit.read': ['admin', 'data_steward', 'ml_engineer', 'approver', 'security_officer', 'auditor', 'runner'],
  /** Recompute the whole log. */
  'audit.verify': ['admin', 'security_officer', 'auditor'],
  /** Stream the tenant's events as JSONL, CloudEvents or OpenLineage. */
  'audit.export': ['admin', 'security_officer', 'auditor'],
  'tokens.create': ['admin'],
  'tokens.list': ['admin', 'security_officer', 'auditor'],
  'tokens.revoke': ['admin', 'security_officer'],
  'principals.create': ['admin'],
  'principals.list': ['admin', 'security_officer', 'auditor'],
  'principals.disable': ['admin', 'security_officer'],
  'approvals.create': ['admin', 'data_steward', 'ml_engineer', 'security_officer'],
  'approvals.read': ['admin', 'data_steward', 'ml_engineer', 'approver', 'security_officer', 'auditor'],
  /** Change the digest of what is approved (voids earlier approvals). */
  'approvals.update': ['admin', 'data_steward', 'ml_engineer', 'security_officer'],
  'approvals.decide': ['approver', 'security_officer'],
} as const satisfies Record<string, readonly Role[]>;

/** An action named in {@link POLICY}. */
export type Action = keyof typeof POLICY;
export const ACTIONS = Object.keys(POLICY) as Action[];

/** True when `role` is allowed `action` by the table (ignores tenants). */
export function roleAllows(role: Role, action: Action): boolean {
  return (POLICY[action] as readonly Role[]).includes(role);
}

/**
 * Decides whether `principal` may perform `action` on data of `resourceTenant`.
 * @throws AuthError `auth.principal_disabled`, `auth.forbidden` (no role allows it)
 *   or `auth.cross_tenant` (the data belongs to another tenant).
 */
export function authorize(principal: PrincipalView, action: Action, resourceTenant: string): void {
  if (principal.disabled) {
    throw new AuthError('auth.principal_disabled', `principal ${principal.id} is disabled`);
  }
  if (!principal.roles.some((role) => roleAllows(role, action))) {
    throw new AuthError(
      'auth.forbidden',
      `${action} requires one of the roles ${POLICY[action].join(', ')}; principal ${principal.id} has ${principal.roles.join(', ') || 'none'}`,
      { details: { action } },
    );
  }
  if (resourceTenant !== principal.tenant) {
    throw new AuthError(
      'auth.cross_tenant',
      `principal ${principal.id} of tenant ${principal.tenant} may not access tenant ${resourceTenant}`,
    );
  }
}

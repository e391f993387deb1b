import { mkdir } from 'node:fs/promises';
import { ApprovalService, type AuthContext, IdentityService, localOperator } from '../auth/index.js';
import type { PrincipalView } from '../contracts/api.js';
import { isTunegateError } from '../contracts/error.js';
import { Ledger, SigningKey } from '../ledger/index.js';
import type { Database } from '../store/index.js';
import { openDatabase } from '../store/index.js';
import type { ControlPlaneConfig } from './config.js';
import { TunegateService } from './tunegate-service.js';

/** The opened control plane: database, ledger and the services on top. */
export interface ControlPlane {
  readonly config: ControlPlaneConfig;
  readonly db: Database;
  readonly ledger: Ledger;
  readonly signingKey: SigningKey;
  readonly identities: IdentityService;
  readonly approvals: ApprovalService;
  /** Authorising application service used by the server and the embedded CLI. */
  readonly service: TunegateService;
  /** The embedded CLI's identity: a system admin of the configured tenant. */
  localSession(tenant?: string): AuthContext;
  close(): Promise<void>;
}

export interface OpenControlPlaneOptions {
  /** Clock for identities and approvals (tests). */
  now?: () => Date;
}

/**
 * Opens the database (`TUNEGATE_DATABASE_URL` or the SQLite file under
 * `TUNEGATE_HOME`), applies migrations, loads or creates the Ed25519 ledger key
 * (`$TUNEGATE_HOME/keys/ledger.key`, mode 0600) and wires the services.
 */
export async function openControlPlane(
  config: ControlPlaneConfig,
  options: OpenControlPlaneOptions = {},
): Promise<ControlPlane> {
  await mkdir(config.home, { recursive: true, mode: 0o700 });
  const db = await openDatabase(
    config.databaseUrl ?? { path: config.sqlitePath, synchronous: config.sqliteSynchronous },
  );
  try {
    const signingKey = await SigningKey.loadOrCreate(config.keyPath, config.ledgerOrigin);
    const ledger = await Ledger.open(db, { signer: signingKey, origin: config.ledgerOrigin });
    const clock = options.now === undefined ? {} : { now: options.now };
    const identities = await IdentityService.open(db, ledger, clock);
    const approvals = await ApprovalService.open(db, ledger, clock);
    const service = new TunegateService({ ledger, identities, approvals });
    return {
      config,
      db,
      ledger,
      signingKey,
      identities,
      approvals,
      service,
      localSession: (tenant = config.tenant) => ({ principal: localOperator(tenant), tokenId: null }),
      close: () => db.close(),
    };
  } catch (err) {
    await db.close();
    throw err;
  }
}

/** What {@link bootstrap} did. */
export interface BootstrapResult {
  tenant: string;
  tenantCreated: boolean;
  admin: PrincipalView;
  adminCreated: boolean;
  /** The one-time admin token, or null when a live one exists and none was asked for. */
  token: string | null;
  tokenId: string | null;
}

export interface BootstrapOptions {
  tenant?: string;
  /** Admin principal id (default `admin`). */
  adminId?: string;
  /** Issue a new admin token even when one is live. */
  newToken?: boolean;
  /** Lifetime of the admin token (default 90d). */
  tokenExpiresIn?: string;
}

/**
 * Idempotent first-start setup: the tenant, its admin principal and a one-time
 * admin token. A second run issues no new token unless `newToken` is set (or the
 * admin has no live token left). Each change is an `access` ledger event.
 */
export async function bootstrap(cp: ControlPlane, options: BootstrapOptions = {}): Promise<BootstrapResult> {
  const tenant = options.tenant ?? cp.config.tenant;
  const adminId = options.adminId ?? 'admin';
  const operator = localOperator(tenant);
  const tenantCreated = await cp.identities.ensureTenant(operator, tenant);
  let adminCreated = false;
  try {
    await cp.identities.createPrincipal(operator, tenant, {
      id: adminId,
      display_name: 'tenant administrator',
      roles: ['admin'],
    });
    adminCreated = true;
  } catch (err) {
    // Exists already (a second init, or another process bootstrapping the same database).
    if (!(isTunegateError(err) && err.code === 'auth.principal_conflict')) throw err;
  }
  const admin = await cp.identities.getPrincipal(tenant, adminId);
  let token: string | null = null;
  let tokenId: string | null = null;
  if (options.newToken === true || !(await cp.identities.hasLiveToken(tenant, adminId))) {
    const created = await cp.identities.createToken(operator, tenant, {
      principal_id: adminId,
      name: 'bootstrap admin token',
      ...(options.tokenExpiresIn === undefined ? {} : { expires_in: options.tokenExpiresIn }),
    });
    token = created.token;
    tokenId = created.info.id;
  }
  return { tenant, tenantCreated, admin, adminCreated, token, tokenId };
}

import { randomBytes } from 'node:crypto';
import {
  type CreatedToken,
  type CreatePrincipalRequest,
  CreatePrincipalRequestSchema,
  type CreateTokenRequest,
  CreateTokenRequestSchema,
  type PrincipalView,
  type TokenView,
} from '../contracts/api.js';
import { SlugSchema } from '../contracts/event.js';
import type { Role } from '../contracts/role.js';
import { parseContract } from '../contracts/validate.js';
import type { Database, Queryable, Row } from '../store/database.js';
import { type AuditAppender, recordEvent } from './audit-appender.js';
import { AuthError } from './auth-error.js';
import { parseDuration } from './duration.js';
import { AUTH_MIGRATIONS } from './migrations.js';
import type { AuthContext, Principal } from './principal.js';
import { generateTokenSecret, hashTokenSecret, looksLikeToken } from './token-secret.js';

/** Default token lifetime when a request names none. */
export const DEFAULT_TOKEN_LIFETIME = '90d';
/** `last_used_at` is refreshed at most this often, so reads do not turn every request into a write. */
const LAST_USED_GRANULARITY_MS = 60_000;

export interface IdentityServiceOptions {
  /** Clock, injectable for expiry tests. */
  now?: () => Date;
}

interface PrincipalRow extends Row {
  tenant: string;
  id: string;
  display_name: string;
  roles: string;
  disabled: number | boolean;
  created_at: string;
}

interface TokenRow extends Row {
  id: string;
  tenant: string;
  principal_id: string;
  name: string;
  prefix: string;
  created_at: string;
  created_by: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
}

const TOKEN_COLUMNS =
  'id, tenant, principal_id, name, prefix, created_at, created_by, expires_at, revoked_at, last_used_at';

/**
 * Tenants, principals and API tokens. Callers authorise first (see `authorize`);
 * this service enforces data rules (tenant scoping, uniqueness, expiry) and records
 * every change as an `access` event in the ledger after it commits.
 */
export class IdentityService {
  private readonly now: () => Date;

  private constructor(
    private readonly db: Database,
    private readonly ledger: AuditAppender,
    options: IdentityServiceOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /** Applies the auth migrations and returns the service. */
  static async open(
    db: Database,
    ledger: AuditAppender,
    options: IdentityServiceOptions = {},
  ): Promise<IdentityService> {
    await db.migrate('auth', AUTH_MIGRATIONS);
    return new IdentityService(db, ledger, options);
  }

  /** Creates `tenant` unless it exists; returns true when it was created. */
  async ensureTenant(by: Principal, tenant: string, displayName = tenant): Promise<boolean> {
    const id = parseContract(SlugSchema, tenant, 'tenant');
    // ON CONFLICT keeps concurrent first starts (several API processes on one PostgreSQL) from failing.
    const { changes } = await this.db.execute(
      'INSERT INTO auth_tenants (id, display_name, created_at) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      [id, displayName, this.iso()],
    );
    const created = changes > 0;
    if (created) {
      await recordEvent(this.ledger, by, id, {
        operation: { category: 'access', name: 'init' },
        resource: { access: { kind: 'tenant', id } },
      });
    }
    return created;
  }

  /** True when the tenant exists. */
  async tenantExists(tenant: string): Promise<boolean> {
    return (await this.db.query('SELECT id FROM auth_tenants WHERE id = $1', [tenant])).length > 0;
  }

  /**
   * Creates a principal in `tenant`.
   * @throws AuthError `auth.tenant_not_found`, `auth.principal_conflict` (id taken)
   */
  async createPrincipal(
    by: Principal,
    tenant: string,
    request: CreatePrincipalRequest,
  ): Promise<PrincipalView> {
    const req = parseContract(CreatePrincipalRequestSchema, request, 'principal');
    const roles = [...new Set(req.roles)];
    const createdAt = this.iso();
    await this.db.transaction(async (tx) => {
      await this.requireTenant(tx, tenant);
      // Atomic even when two callers race for the same id.
      const { changes } = await tx.execute(
        `INSERT INTO auth_principals (tenant, id, display_name, roles, disabled, created_at, created_by)
         VALUES ($1, $2, $3, $4, 0, $5, $6) ON CONFLICT (tenant, id) DO NOTHING`,
        [tenant, req.id, req.display_name ?? req.id, JSON.stringify(roles), createdAt, by.id],
      );
      if (changes === 0) {
        throw new AuthError(
          'auth.principal_conflict',
          `principal ${req.id} already exists in tenant ${tenant}`,
        );
      }
    });
    await recordEvent(this.ledger, by, tenant, {
      operation: { category: 'access', name: 'principal_create' },
      resource: { access: { kind: 'principal', id: req.id, roles } },
    });
    return {
      id: req.id,
      tenant,
      display_name: req.display_name ?? req.id,
      roles,
      disabled: false,
      created_at: createdAt,
    };
  }

  /** The principals of one tenant, by id. */
  async listPrincipals(tenant: string): Promise<PrincipalView[]> {
    const rows = await this.db.query<PrincipalRow>(
      'SELECT tenant, id, display_name, roles, disabled, created_at FROM auth_principals WHERE tenant = $1 ORDER BY id',
      [tenant],
    );
    return rows.map(toPrincipal);
  }

  /** @throws AuthError `auth.principal_not_found` */
  async getPrincipal(tenant: string, id: string): Promise<PrincipalView> {
    const rows = await this.db.query<PrincipalRow>(
      'SELECT tenant, id, display_name, roles, disabled, created_at FROM auth_principals WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    const row = rows[0];
    if (!row) throw new AuthError('auth.principal_not_found', `no principal ${id} in tenant ${tenant}`);
    return toPrincipal(row);
  }

  /**
   * Disables a principal: its tokens stop authenticating at once.
   * Disabling an already disabled principal changes nothing and records nothing.
   * @throws AuthError `auth.principal_not_found`
   */
  async disablePrincipal(by: Principal, tenant: string, id: string): Promise<PrincipalView> {
    const changed = await this.db.transaction(async (tx) => {
      const res = await tx.execute(
        'UPDATE auth_principals SET disabled = 1 WHERE tenant = $1 AND id = $2 AND disabled = 0',
        [tenant, id],
      );
      if (res.changes === 0) await this.getPrincipalIn(tx, tenant, id);
      return res.changes > 0;
    });
    if (changed) {
      await recordEvent(this.ledger, by, tenant, {
        operation: { category: 'access', name: 'principal_disable' },
        resource: { access: { kind: 'principal', id } },
      });
    }
    return this.getPrincipal(tenant, id);
  }

  /**
   * Issues a token for a principal of `tenant`. The secret is returned once and
   * only its SHA-256 is stored.
   * @throws AuthError `auth.principal_not_found`, `auth.principal_disabled`, `auth.invalid_duration`
   */
  async createToken(by: Principal, tenant: string, request: CreateTokenRequest): Promise<CreatedToken> {
    const req = parseContract(CreateTokenRequestSchema, request, 'token request');
    const lifetimeMs = parseDuration(req.expires_in ?? DEFAULT_TOKEN_LIFETIME);
    const secret = generateTokenSecret();
    const now = this.now();
    const info: TokenView = {
      id: `tok_${randomBytes(8).toString('hex')}`,
      tenant,
      principal_id: req.principal_id,
      name: req.name ?? 'api',
      prefix: secret.slice(0, 10),
      created_at: now.toISOString(),
      created_by: by.id,
      expires_at: new Date(now.getTime() + lifetimeMs).toISOString(),
      revoked_at: null,
      last_used_at: null,
    };
    await this.db.transaction(async (tx) => {
      const principal = await this.getPrincipalIn(tx, tenant, req.principal_id);
      if (principal.disabled) {
        throw new AuthError('auth.principal_disabled', `principal ${principal.id} is disabled`);
      }
      await tx.execute(
        `INSERT INTO auth_tokens (id, token_hash, tenant, principal_id, name, prefix, created_at, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          info.id,
          hashTokenSecret(secret),
          tenant,
          info.principal_id,
          info.name,
          info.prefix,
          info.created_at,
          by.id,
          info.expires_at,
        ],
      );
    });
    await recordEvent(this.ledger, by, tenant, {
      operation: { category: 'access', name: 'token_create' },
      resource: {
        access: { kind: 'token', id: info.id, principal_id: info.principal_id, expires_at: info.expires_at },
      },
    });
    return { token: secret, info };
  }

  /** Tokens of a tenant (optionally of one principal), newest first. Never includes secrets. */
  async listTokens(tenant: string, principalId?: string): Promise<TokenView[]> {
    const rows =
      principalId === undefined
        ? await this.db.query<TokenRow>(
            `SELECT ${TOKEN_COLUMNS} FROM auth_tokens WHERE tenant = $1 ORDER BY created_at DESC, id`,
            [tenant],
          )
        : await this.db.query<TokenRow>(
            `SELECT ${TOKEN_COLUMNS} FROM auth_tokens WHERE tenant = $1 AND principal_id = $2 ORDER BY created_at DESC, id`,
            [tenant, principalId],
          );
    return rows.map(toToken);
  }

  /**
   * Revokes a token of `tenant`. Revoking twice is a no-op that records nothing.
   * @throws AuthError `auth.token_not_found` (also for another tenant's token)
   */
  async revokeToken(by: Principal, tenant: string, tokenId: string): Promise<TokenView> {
    const changed = await this.db.transaction(async (tx) => {
      const res = await tx.execute(
        'UPDATE auth_tokens SET revoked_at = $1 WHERE id = $2 AND tenant = $3 AND revoked_at IS NULL',
        [this.iso(), tokenId, tenant],
      );
      return res.changes > 0;
    });
    const rows = await this.db.query<TokenRow>(
      `SELECT ${TOKEN_COLUMNS} FROM auth_tokens WHERE id = $1 AND tenant = $2`,
      [tokenId, tenant],
    );
    const row = rows[0];
    if (!row) throw new AuthError('auth.token_not_found', `no token ${tokenId} in tenant ${tenant}`);
    if (changed) {
      await recordEvent(this.ledger, by, tenant, {
        operation: { category: 'access', name: 'token_revoke' },
        resource: { access: { kind: 'token', id: tokenId, principal_id: row.principal_id } },
      });
    }
    return toToken(row);
  }

  /**
   * Resolves a bearer token to its principal.
   * @throws AuthError `auth.invalid_token` (unknown or malformed), `auth.token_expired`,
   *   `auth.token_revoked`, `auth.principal_disabled`
   */
  async authenticate(secret: string): Promise<AuthContext> {
    if (!looksLikeToken(secret)) throw new AuthError('auth.invalid_token', 'the bearer token is not valid');
    // One round trip: the token and its principal (on SQLite every query waits for the write lock holder).
    const rows = await this.db.query<
      TokenRow & { p_display_name: string; p_roles: string; p_disabled: number; p_created_at: string }
    >(
      `SELECT t.id, t.tenant, t.principal_id, t.name, t.prefix, t.created_at, t.created_by, t.expires_at,
              t.revoked_at, t.last_used_at, p.display_name AS p_display_name, p.roles AS p_roles,
              p.disabled AS p_disabled, p.created_at AS p_created_at
       FROM auth_tokens t JOIN auth_principals p ON p.tenant = t.tenant AND p.id = t.principal_id
       WHERE t.token_hash = $1`,
      [hashTokenSecret(secret)],
    );
    const token = rows[0];
    if (!token) throw new AuthError('auth.invalid_token', 'the bearer token is not valid');
    const now = this.now();
    if (token.revoked_at !== null) throw new AuthError('auth.token_revoked', `token ${token.id} was revoked`);
    if (token.expires_at !== null && token.expires_at <= now.toISOString()) {
      throw new AuthError('auth.token_expired', `token ${token.id} expired at ${token.expires_at}`);
    }
    const principal = toPrincipal({
      tenant: token.tenant,
      id: token.principal_id,
      display_name: token.p_display_name,
      roles: token.p_roles,
      disabled: token.p_disabled,
      created_at: token.p_created_at,
    });
    if (principal.disabled) {
      throw new AuthError('auth.principal_disabled', `principal ${principal.id} is disabled`);
    }
    if (
      token.last_used_at === null ||
      now.getTime() - Date.parse(token.last_used_at) >= LAST_USED_GRANULARITY_MS
    ) {
      await this.db.execute('UPDATE auth_tokens SET last_used_at = $1 WHERE id = $2', [
        now.toISOString(),
        token.id,
      ]);
    }
    return { principal, tokenId: token.id };
  }

  /** True when the principal holds a token that is neither revoked nor expired. */
  async hasLiveToken(tenant: string, principalId: string): Promise<boolean> {
    const rows = await this.db.query(
      `SELECT id FROM auth_tokens WHERE tenant = $1 AND principal_id = $2 AND revoked_at IS NULL
       AND (expires_at IS NULL OR expires_at > $3)`,
      [tenant, principalId, this.iso()],
    );
    return rows.length > 0;
  }

  /** True when the principal exists in the tenant. */
  async principalExists(tenant: string, id: string): Promise<boolean> {
    const rows = await this.db.query('SELECT id FROM auth_principals WHERE tenant = $1 AND id = $2', [
      tenant,
      id,
    ]);
    return rows.length > 0;
  }

  private async requireTenant(tx: Queryable, tenant: string): Promise<void> {
    const rows = await tx.query('SELECT id FROM auth_tenants WHERE id = $1', [tenant]);
    if (rows.length === 0) throw new AuthError('auth.tenant_not_found', `no tenant ${tenant}`);
  }

  private async getPrincipalIn(tx: Queryable, tenant: string, id: string): Promise<PrincipalView> {
    const rows = await tx.query<PrincipalRow>(
      'SELECT tenant, id, display_name, roles, disabled, created_at FROM auth_principals WHERE tenant = $1 AND id = $2',
      [tenant, id],
    );
    const row = rows[0];
    if (!row) throw new AuthError('auth.principal_not_found', `no principal ${id} in tenant ${tenant}`);
    return toPrincipal(row);
  }

  private iso(): string {
    return this.now().toISOString();
  }
}

function toPrincipal(row: PrincipalRow): PrincipalView {
  return {
    id: row.id,
    tenant: row.tenant,
    display_name: row.display_name,
    roles: JSON.parse(row.roles) as Role[],
    disabled: Number(row.disabled) === 1 || row.disabled === true,
    created_at: row.created_at,
  };
}

function toToken(row: TokenRow): TokenView {
  return {
    id: row.id,
    tenant: row.tenant,
    principal_id: row.principal_id,
    name: row.name,
    prefix: row.prefix,
    created_at: row.created_at,
    created_by: row.created_by,
    expires_at: row.expires_at,
    revoked_at: row.revoked_at,
    last_used_at: row.last_used_at,
  };
}

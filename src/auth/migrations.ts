import type { Migration } from '../store/database.js';

/**
 * Tables of the auth module (portable SQL; timestamps are ISO-8601 UTC text so
 * they compare correctly as strings on both engines; booleans are 0/1).
 */
export const AUTH_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants, principals, tokens',
    sql: `
CREATE TABLE auth_tenants (
  id TEXT PRIMARY KEY,
  display_name TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE auth_principals (
  tenant TEXT NOT NULL REFERENCES auth_tenants (id),
  id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  roles TEXT NOT NULL,
  disabled INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  PRIMARY KEY (tenant, id)
);
CREATE TABLE auth_tokens (
  id TEXT PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  tenant TEXT NOT NULL,
  principal_id TEXT NOT NULL,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
);
CREATE INDEX auth_tokens_principal ON auth_tokens (tenant, principal_id);
`,
  },
  {
    version: 2,
    name: 'approvals',
    sql: `
CREATE TABLE auth_approvals (
  id TEXT PRIMARY KEY,
  tenant TEXT NOT NULL,
  subject_kind TEXT NOT NULL,
  subject_id TEXT NOT NULL,
  subject_digest TEXT NOT NULL,
  required_approvals INTEGER NOT NULL,
  status TEXT NOT NULL,
  submitted_by TEXT NOT NULL,
  prepared_by TEXT NOT NULL,
  last_modified_by TEXT NOT NULL,
  note TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX auth_approvals_subject ON auth_approvals (tenant, subject_kind, subject_id);
CREATE TABLE auth_approval_decisions (
  approval_id TEXT NOT NULL REFERENCES auth_approvals (id),
  seq INTEGER NOT NULL,
  principal_id TEXT NOT NULL,
  decision TEXT NOT NULL,
  digest TEXT NOT NULL,
  comment TEXT,
  decided_at TEXT NOT NULL,
  valid INTEGER NOT NULL,
  PRIMARY KEY (approval_id, seq)
);
`,
  },
];

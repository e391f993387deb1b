import { TunegateError } from '../contracts/error.js';

/** Codes raised by identities, tokens, authorisation and approvals. */
export type AuthErrorCode =
  | 'auth.unauthenticated'
  | 'auth.invalid_token'
  | 'auth.token_expired'
  | 'auth.token_revoked'
  | 'auth.principal_disabled'
  | 'auth.forbidden'
  | 'auth.cross_tenant'
  | 'auth.tenant_not_found'
  | 'auth.principal_not_found'
  | 'auth.token_not_found'
  | 'auth.principal_conflict'
  | 'auth.invalid_duration'
  | 'auth.approval_not_found'
  | 'auth.self_approval'
  | 'auth.duplicate_decision'
  | 'auth.digest_mismatch'
  | 'auth.approval_closed'
  | 'auth.approval_expired';

/** Errors of the auth module (identities, tokens, policy, approvals). */
export class AuthError extends TunegateError<AuthErrorCode> {}

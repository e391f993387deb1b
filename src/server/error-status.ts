import type { ApiError } from '../contracts/api.js';
import { isTunegateError } from '../contracts/error.js';

/**
 * The one table from error codes to HTTP statuses. Codes missing here fall back
 * on their reason (`*.not_found` 404, `invalid*` 400, `*conflict` 409), else 500.
 */
export const ERROR_STATUS: Readonly<Record<string, number>> = {
  'contract.invalid': 400,
  'contract.unsupported_version': 400,
  'api.malformed_json': 400,
  'api.bad_request': 400,
  'api.payload_too_large': 413,
  'api.unsupported_media_type': 415,
  'api.route_not_found': 404,
  'auth.unauthenticated': 401,
  'auth.invalid_token': 401,
  'auth.token_expired': 401,
  'auth.token_revoked': 401,
  'auth.principal_disabled': 401,
  'auth.forbidden': 403,
  'auth.cross_tenant': 403,
  'auth.self_approval': 403,
  'auth.tenant_not_found': 404,
  'auth.principal_not_found': 404,
  'auth.token_not_found': 404,
  'auth.approval_not_found': 404,
  'auth.principal_conflict': 409,
  'auth.duplicate_decision': 409,
  'auth.digest_mismatch': 409,
  'auth.approval_closed': 409,
  'auth.approval_expired': 409,
  'auth.invalid_duration': 400,
  'ledger.not_found': 404,
  'ledger.invalid_index': 400,
  'ledger.invalid_checkpoint': 400,
  'ledger.invalid_receipt': 400,
  'ledger.invalid_query': 400,
  'ledger.invalid_event': 400,
  'ledger.duplicate_event': 409,
  'ledger.invalid_key': 500,
  'ledger.corrupt': 500,
  'store.unavailable': 503,
  'store.conflict': 409,
  'control_plane.unavailable': 503,
};

/** Status for an error code (exact row, then reason fallback, then 500). */
export function statusForCode(code: string): number {
  const exact = ERROR_STATUS[code];
  if (exact !== undefined) return exact;
  const reason = code.slice(code.indexOf('.') + 1);
  if (reason === 'not_found' || reason.endsWith('_not_found')) return 404;
  if (reason.startsWith('invalid') || reason.startsWith('malformed')) return 400;
  if (reason === 'conflict' || reason.endsWith('_conflict')) return 409;
  return 500;
}

const GENERIC_MESSAGE: Record<number, string> = {
  500: 'internal error',
  503: 'service unavailable',
};

/**
 * The response for any thrown value. Client errors (4xx) carry the error's own
 * message (written for callers); server errors carry only the code and a generic
 * message so that internals (SQL, paths, stacks) never leak.
 */
export function errorResponse(err: unknown): { status: number; body: ApiError } {
  if (!isTunegateError(err)) {
    return { status: 500, body: { error: { code: 'internal', message: 'internal error' } } };
  }
  const status = statusForCode(err.code);
  if (status >= 500) {
    return {
      status,
      body: { error: { code: err.code, message: GENERIC_MESSAGE[status] ?? 'internal error' } },
    };
  }
  const issues = err.details?.issues;
  const validIssues = Array.isArray(issues)
    ? issues.filter(
        (i): i is { path: string; message: string } =>
          typeof i === 'object' && i !== null && typeof i.path === 'string' && typeof i.message === 'string',
      )
    : undefined;
  return {
    status,
    body: {
      error: {
        code: err.code,
        message: err.message,
        ...(validIssues === undefined
          ? {}
          : { issues: validIssues.map(({ path, message }) => ({ path, message })) }),
      },
    },
  };
}

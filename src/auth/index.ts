/**
 * Identities, API tokens, the authorisation policy and the approval primitive.
 */
export * from './approval-service.js';
export * from './audit-appender.js';
export * from './auth-error.js';
export * from './duration.js';
export * from './identity-service.js';
export * from './policy.js';
export * from './principal.js';
export * from './token-secret.js';

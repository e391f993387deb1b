/**
 * Composition root: configuration, opening the store/ledger/auth services,
 * bootstrap, and the authorising application service used by every surface.
 */
export * from './config.js';
export * from './control-plane.js';
export * from './control-plane-error.js';
export * from './tunegate-client.js';
export * from './tunegate-service.js';

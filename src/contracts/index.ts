/**
 * Contracts: the zod schemas and types that every layer shares (manifests,
 * events, findings, API shapes). No I/O lives here.
 */
export * from './api.js';
export * from './dataset-manifest.js';
export * from './error.js';
export * from './event.js';
export * from './finding.js';
export * from './role.js';
export * from './spdx.js';
export * from './validate.js';

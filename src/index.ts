/**
 * tunegate as a library: the contracts and every domain module, never the surfaces
 * (CLI, server). See docs/architecture.md.
 *
 * The foundation (contracts, store, ledger, auth, control plane) is exported flat;
 * the scanners and evaluation come as namespaces (`scan`, `artifacts`, `evals`)
 * because their vocabularies overlap (a model checkpoint is not a ledger checkpoint).
 */
export * as artifacts from './artifacts/index.js';
export * from './auth/index.js';
export * from './contracts/index.js';
export * from './control-plane/index.js';
export * as evals from './evals/index.js';
export * from './ledger/index.js';
export * as scan from './scan/index.js';
export * from './store/index.js';

export * from './artifacts/index.js';
export * from './auth/index.js';
export * from './contracts/index.js';
export * from './control-plane/index.js';
export * from './evals/index.js';

export * from './bootstrap.js';
export * from './error-correction.js';
export * from './mcnemar.js';
export * from './normal.js';
export * from './rng.js';
export * from './sample-size.js';
export * from './wilson.js';

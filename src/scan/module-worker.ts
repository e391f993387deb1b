import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type ResourceLimits, Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) next to `base`
 * (an `import.meta.url`): the `.js` file in the built package. When running from
 * TypeScript sources (tests, `tsx`), Node 20 does not pass tsx's loader to
 * workers, so a tiny bootstrap registers tsx in the worker and then imports the
 * `.ts` entry (tsx is then necessarily installed). `resourceLimits` are the worker's heap limits.
 */
export function startModuleWorker(
  base: string,
  name: string,
  workerData: unknown,
  resourceLimits?: ResourceLimits,
): Worker {
  const js = new URL(`./${name}.js`, base);
  const limits = resourceLimits ? { resourceLimits } : {};
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData, ...limits });
  const require = createRequire(base);
  // require.resolve gives the CommonJS build; the ESM build sits beside it.
  const tsxApi = pathToFileURL(require.resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  const entry = new URL(`./${name}.ts`, base).href;
  const bootstrap = `(async () => { const { register } = await import(${JSON.stringify(tsxApi)}); register(); await import(${JSON.stringify(entry)}); })().catch((e) => { throw e; });`;
  return new Worker(bootstrap, { eval: true, workerData, ...limits });
}

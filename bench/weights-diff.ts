/**
 * Weight-diff throughput and memory.
 *
 *   npx tsx bench/weights-diff.ts [--gb 4] [--keep] [--runs 3] [--workers 2]
 *
 * Writes two BF16 safetensors files of >= 4 GB each under bench/.data/ (a
 * Llama-shaped model: 32000 x 4096 embedding and lm_head, N blocks of
 * attention 4096x4096 and MLP 4096x11008), where the fine-tune changes ~85%
 * of elements by a few BF16 ulps. The first diff warms the page cache; the
 * reported number is the best of the later runs (the CPU is shared).
 * Prints input GB/s (both files) and the process's peak RSS (workers included).
 * Set TUNEGATE_NO_WASM=1 to measure the plain JavaScript loop instead.
 * With --numpy, runs bench/weights_diff_numpy.py on the same files for the ratio.
 * Deletes the data afterwards unless --keep.
 */
import { spawnSync as spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeSafetensors } from '../src/artifacts/safetensors/safetensors-writer.js';
import type { diffWeights as DiffWeights } from '../src/artifacts/weights/weights-diff.js';

const args = process.argv.slice(2);
const opt = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? def) : def;
};
const targetGb = Number(opt('gb', '4'));
const runs = Number(opt('runs', '3'));
const workers = Number(opt('workers', '2'));
const keep = args.includes('--keep');
const dir = join(import.meta.dirname, '.data', 'weights-diff');
mkdirSync(dir, { recursive: true });

/**
 * Measures what users run: the module compiled to JavaScript (worker threads
 * then load plain .js instead of transpiling TypeScript through tsx).
 * `--from-source` skips the build.
 */
async function loadDiff(): Promise<typeof DiffWeights> {
  if (args.includes('--from-source'))
    return (await import('../src/artifacts/weights/weights-diff.js')).diffWeights;
  const data = join(import.meta.dirname, '.data');
  const root = join(import.meta.dirname, '..');
  copyFileSync(join(root, 'package.json'), join(data, 'package.json')); // tool-version.js reads ../../package.json
  const tsc = join(root, 'node_modules', '.bin', 'tsc');
  const flags = [
    '--module',
    'nodenext',
    '--moduleResolution',
    'nodenext',
    '--target',
    'es2022',
    '--lib',
    'es2023',
    '--types',
    'node',
  ];
  flags.push(
    '--skipLibCheck',
    '--resolveJsonModule',
    '--esModuleInterop',
    '--rootDir',
    join(root, 'src'),
    '--outDir',
    join(data, 'dist'),
  );
  const entries = ['artifacts/weights/weights-diff.ts', 'artifacts/weights/diff-worker.ts'].map((f) =>
    join(root, 'src', f),
  );
  const r = spawn(tsc, [...flags, ...entries], { encoding: 'utf8' });
  if (!existsSync(join(data, 'dist', 'artifacts', 'weights', 'weights-diff.js')))
    throw new Error(`tsc failed: ${r.stdout}${r.stderr}`);
  return (await import(pathToFileURL(join(data, 'dist', 'artifacts', 'weights', 'weights-diff.js')).href))
    .diffWeights;
}
const diffWeights = await loadDiff();

const H = 4096;
const F = 11008;
const V = 32000;
const blockElems = 4 * H * H + 3 * H * F;
const layers = Math.max(1, Math.ceil((targetGb * 1e9) / 2 - 2 * V * H) / blockElems);
const nLayers = Math.ceil(layers);

interface Spec {
  name: string;
  shape: [number, number];
}
const tensors: Spec[] = [{ name: 'model.embed_tokens.weight', shape: [V, H] }];
for (let l = 0; l < nLayers; l++) {
  for (const p of ['q_proj', 'k_proj', 'v_proj', 'o_proj'])
    tensors.push({ name: `model.layers.${l}.self_attn.${p}.weight`, shape: [H, H] });
  tensors.push({ name: `model.layers.${l}.mlp.gate_proj.weight`, shape: [F, H] });
  tensors.push({ name: `model.layers.${l}.mlp.up_proj.weight`, shape: [F, H] });
  tensors.push({ name: `model.layers.${l}.mlp.down_proj.weight`, shape: [H, F] });
}
tensors.push({ name: 'lm_head.weight', shape: [V, H] });

/** Deterministic BF16 "weights": |x| in [2^-10, 2^-5), random sign and mantissa; the fine-tune nudges mantissas. */
function fill(seed: number, finetuned: boolean, t: Spec) {
  return (write: (b: Uint8Array) => void) => {
    const total = t.shape[0] * t.shape[1];
    const chunk = new Uint16Array(1 << 24);
    let s = (seed ^ (t.name.length * 2654435761)) >>> 0;
    let f = 0x9e3779b9 ^ seed;
    for (let done = 0; done < total; done += chunk.length) {
      const n = Math.min(chunk.length, total - done);
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        const r = s >>> 0;
        let bits = (r & 0x8000) | ((117 + (r % 5)) << 7) | ((r >>> 20) & 0x7f);
        if (finetuned) {
          f ^= f << 13;
          f ^= f >>> 17;
          f ^= f << 5;
          const q = f >>> 0;
          if (q % 100 < 85) bits = (bits & 0xff80) | ((bits + 1 + (q >>> 29)) & 0x7f);
        }
        chunk[i] = bits;
      }
      write(new Uint8Array(chunk.buffer, 0, n * 2));
    }
  };
}

const basePath = join(dir, 'base.safetensors');
const ftPath = join(dir, 'finetuned.safetensors');
for (const [path, ft] of [
  [basePath, false],
  [ftPath, true],
] as const) {
  if (existsSync(path)) continue;
  const t0 = performance.now();
  writeSafetensors(
    path,
    tensors.map((t) => ({ name: t.name, dtype: 'BF16', shape: t.shape, data: fill(7, ft, t) })),
  );
  console.log(
    `wrote ${path}: ${(statSync(path).size / 1e9).toFixed(2)} GB in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
}
const bytes = statSync(basePath).size + statSync(ftPath).size;
console.log(
  `model: ${tensors.length} tensors, ${nLayers} blocks; input ${(bytes / 1e9).toFixed(2)} GB (both files); workers ${workers}; kernel ${process.env.TUNEGATE_NO_WASM === '1' ? 'javascript' : 'wasm-simd'}`,
);
const results: number[] = [];
const cpuRates: number[] = [];
for (let r = 0; r <= runs; r++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const { report } = await diffWeights(basePath, ftPath, { workers });
  const s = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / 1e6;
  const gbs = bytes / 1e9 / s;
  // CPU seconds cover every thread of the process; on a shared machine they are steadier than wall time.
  console.log(
    `${r === 0 ? 'warm-up' : `run ${r}`}: ${s.toFixed(2)} s wall, ${gbs.toFixed(2)} GB/s; ${cpu.toFixed(2)} CPU-s (${(bytes / 1e9 / cpu).toFixed(2)} GB per CPU-second); ${report.findings.length} findings, relative change ${((report.artifact?.totals as { relative_change?: number } | undefined)?.relative_change ?? 0).toExponential(3)}`,
  );
  if (r > 0) {
    results.push(gbs);
    cpuRates.push(bytes / 1e9 / cpu);
  }
}
const rssMb = process.resourceUsage().maxRSS / 1024;
console.log(
  `best ${Math.max(...results).toFixed(2)} GB/s wall (target >= 2 on 2 cores), ${Math.max(...cpuRates).toFixed(2)} GB per CPU-second, median ${results.sort((a, b) => a - b)[Math.floor(results.length / 2)]?.toFixed(2)} GB/s; peak RSS ${rssMb.toFixed(0)} MB (target < 512)`,
);
if (args.includes('--numpy')) {
  // Same files, same statistics in NumPy (whole tensors and row chunks), for the ratio.
  const py = spawnSync(
    'python3',
    [
      join(import.meta.dirname, 'weights_diff_numpy.py'),
      basePath,
      ftPath,
      '--runs',
      String(Math.max(1, runs - 1)),
    ],
    {
      encoding: 'utf8',
    },
  );
  process.stdout.write(
    py.status === 0 ? py.stdout : `numpy reference skipped: ${py.stderr || py.error?.message}\n`,
  );
}
if (!keep) {
  rmSync(dir, { recursive: true, force: true });
  for (const f of ['dist', 'package.json'])
    rmSync(join(import.meta.dirname, '.data', f), { recursive: true, force: true });
}

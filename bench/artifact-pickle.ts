/**
 * Pickle scanning throughput.
 *
 *   npx tsx bench/artifact-pickle.ts [--mb 256] [--runs 3]
 *
 * Builds, in memory, a checkpoint-like protocol-4 pickle of about --mb MB that
 * is dominated by small opcodes (the worst case for a byte-by-byte walker):
 * a dict of state-dict entries, each a `_rebuild_tensor_v2` call with a
 * persistent-id storage tuple, shapes and strides, plus long lists of ints and
 * floats (optimizer state, step counters) and a few MB of BINBYTES. Then it
 * scans it from memory and from a file (positional reads in 8 MiB windows) and
 * prints MB/s (best of --runs; the CPU is shared).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileRange } from '../src/artifacts/file-range.js';
import { scanPickle } from '../src/artifacts/pickle/pickle-scanner.js';

const args = process.argv.slice(2);
const opt = (n: string, d: string) => {
  const i = args.indexOf(`--${n}`);
  return i >= 0 ? (args[i + 1] ?? d) : d;
};
const targetMb = Number(opt('mb', '256'));
const runs = Number(opt('runs', '3'));

const parts: Buffer[] = [];
let size = 0;
const push = (b: Buffer) => {
  parts.push(b);
  size += b.length;
};
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const str = (s: string) => Buffer.concat([Buffer.from([0x8c, Buffer.byteLength(s)]), Buffer.from(s)]);
const global = (m: string, n: string) =>
  Buffer.concat([str(m), Buffer.from([0x94]), str(n), Buffer.from([0x94, 0x93, 0x94])]);

push(Buffer.from([0x80, 0x04, 0x7d, 0x94, 0x28])); // PROTO 4, EMPTY_DICT, MEMOIZE, MARK
let i = 0;
while (size < targetMb * 1e6 * 0.9) {
  // 'layers.N.weight': _rebuild_tensor_v2(('storage', FloatStorage, key, 'cpu', numel), 0, (a, b), (b, 1), False, OrderedDict())
  push(str(`model.layers.${i}.mlp.weight`));
  push(Buffer.from([0x94]));
  push(global('torch._utils', '_rebuild_tensor_v2'));
  push(Buffer.from([0x28])); // MARK (args tuple)
  push(Buffer.from([0x28])); // MARK (persistent id tuple)
  push(str('storage'));
  push(global('torch', 'FloatStorage'));
  push(str(String(i)));
  push(str('cpu'));
  push(Buffer.concat([Buffer.from([0x4a]), u32(4096 * 4096)]));
  push(Buffer.from([0x74, 0x94, 0x51, 0x4b, 0x00])); // TUPLE, MEMOIZE, BINPERSID, BININT1 0
  push(
    Buffer.from([
      0x4d, 0x00, 0x10, 0x4d, 0x00, 0x10, 0x86, 0x94, 0x4d, 0x00, 0x10, 0x4b, 0x01, 0x86, 0x94, 0x89,
    ]),
  );
  push(global('collections', 'OrderedDict'));
  push(Buffer.from([0x29, 0x52, 0x94, 0x74, 0x94, 0x52, 0x94])); // ) REDUCE MEMOIZE TUPLE MEMOIZE REDUCE MEMOIZE
  // optimizer-state-like list of 2,000 ints and floats
  push(str(`state.${i}`));
  push(Buffer.from([0x94, 0x5d, 0x94, 0x28]));
  const nums = Buffer.alloc(1000 * 5 + 1000 * 9);
  for (let k = 0; k < 1000; k++) {
    nums[k * 14] = 0x4a;
    nums.writeInt32LE(k * 7919, k * 14 + 1);
    nums[k * 14 + 5] = 0x47;
    nums.writeDoubleBE(k * 0.001, k * 14 + 6);
  }
  push(nums);
  push(Buffer.from([0x65])); // APPENDS
  if (i % 500 === 0) {
    push(str(`blob.${i}`));
    push(Buffer.concat([Buffer.from([0x42]), u32(1 << 20), Buffer.alloc(1 << 20)]));
  }
  i++;
}
push(Buffer.from([0x75, 0x2e])); // SETITEMS, STOP
const pkl = Buffer.concat(parts);
const mb = pkl.length / 1e6;
console.log(`pickle: ${mb.toFixed(1)} MB, ${i} state-dict entries`);

const dir = join(import.meta.dirname, '.data');
mkdirSync(dir, { recursive: true });
const path = join(dir, 'bench.pkl');
writeFileSync(path, pkl);
const best = { mem: 0, file: 0, memCpu: 0 };
/** Wall seconds and CPU seconds (user+system) of `fn`: on a shared machine CPU time is the steadier measure. */
function timed<T>(fn: () => T): { value: T; wall: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const c = process.cpuUsage(c0);
  return { value, wall: (performance.now() - t0) / 1000, cpu: (c.user + c.system) / 1e6 };
}
for (let r = 0; r < runs; r++) {
  const m = timed(() => scanPickle({ buffer: pkl }, { file: 'bench.pkl' }));
  if (m.value.findings.length > 0) throw new Error(`unexpected findings: ${m.value.findings[0]?.message}`);
  best.mem = Math.max(best.mem, mb / m.wall);
  best.memCpu = Math.max(best.memCpu, mb / m.cpu);
  const f = FileRange.open(path);
  const fr = timed(() => scanPickle({ file: f, start: 0, end: f.size }, { file: 'bench.pkl' }));
  f.close();
  best.file = Math.max(best.file, mb / fr.wall);
  console.log(
    `run ${r + 1}: ${m.value.opcodes} opcodes; memory ${(mb / m.wall).toFixed(0)} MB/s wall, ${(mb / m.cpu).toFixed(0)} MB/s per CPU-second; file ${(mb / fr.wall).toFixed(0)} MB/s wall`,
  );
}
console.log(
  `best: in memory ${best.mem.toFixed(0)} MB/s wall (${best.memCpu.toFixed(0)} MB per CPU-second), from file ${best.file.toFixed(0)} MB/s wall (target >= 200 MB/s)`,
);
rmSync(path, { force: true });

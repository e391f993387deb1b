import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsHeader } from '../safetensors/safetensors-header.js';
import { writeSafetensors } from '../safetensors/safetensors-writer.js';
import { tempDir } from '../test-support/temp-dir.js';
import { encodeFloats } from './float-codec.js';
import { gaussian } from './small-linalg.js';
import { type DiffJob, FileCache, runDiffJob, runDiffJobScalar } from './tensor-range-diff.js';

describe('WebAssembly kernel', () => {
  it.each(['BF16', 'F32'] as const)(
    'matches the JavaScript reference on %s, with tails, NaN and row norms',
    (dtype) => {
      const dir = tempDir('tg-kern-');
      const rows = 150;
      const cols = 203; // not a multiple of 8: exercises the tail
      const rand = gaussian(11);
      const a = Float32Array.from({ length: rows * cols }, () => rand() * 0.02);
      const b = a.map((x, i) => (i % 5 === 0 ? x : x + rand() * 1e-3));
      b[203 * 10 + 5] = Number.NaN;
      const write = (name: string, v: Float32Array) => {
        const p = join(dir, `${name}.safetensors`);
        writeSafetensors(p, [
          { name: 'model.embed_tokens.weight', dtype, shape: [rows, cols], data: encodeFloats(v, dtype) },
        ]);
        return { path: p, begin: readSafetensorsHeader(p).tensors[0]?.begin ?? 0, dtype };
      };
      const job: DiffJob = {
        id: 0,
        base: write('a', a),
        finetuned: write('b', b),
        rowStart: 7,
        rowEnd: 149,
        cols,
        totalRows: rows,
        sketch: true,
        rowNorms: true,
      };
      const files = new FileCache();
      const fast = runDiffJob(job, files);
      const ref = runDiffJobScalar(job, files);
      files.close();
      expect(fast.stats.count).toBe(ref.stats.count);
      expect(fast.stats.changed).toBe(ref.stats.changed);
      expect(fast.stats.nonFinite).toBe(1);
      expect(ref.stats.nonFinite).toBe(1);
      expect(fast.stats.maxAbs).toBe(ref.stats.maxAbs);
      // Sum of squares in f32 lanes: agree to ~1e-6 relative (NaN rows aside).
      const finite = (x: Float64Array | null) => Array.from(x ?? []).filter(Number.isFinite);
      const fd = finite(fast.rowDeltaSq);
      const rd = finite(ref.rowDeltaSq);
      expect(fd.length).toBe(rd.length);
      fd.forEach((v, i) => {
        expect(Math.abs(v - (rd[i] as number))).toBeLessThanOrEqual(Math.abs(rd[i] as number) * 1e-5 + 1e-12);
      });
      const fz = fast.z as Float64Array;
      const rz = ref.z as Float64Array;
      let diff = 0;
      let norm = 0;
      for (let i = 0; i < rz.length; i++) {
        if (!Number.isFinite(rz[i] as number)) continue;
        diff += ((fz[i] as number) - (rz[i] as number)) ** 2;
        norm += (rz[i] as number) ** 2;
      }
      expect(Math.sqrt(diff / norm)).toBeLessThan(1e-5);
    },
  );
});

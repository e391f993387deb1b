#!/usr/bin/env python3
"""NumPy reference for bench/weights-diff.ts: the same per-tensor statistics
(sum a^2, sum a*d, sum d^2 -> Frobenius norms, relative change, cosine; max |d|;
fraction changed; per-row delta norms of embedding/lm_head) over two BF16
safetensors files, once on whole tensors and once walking tensors in
cache-sized row chunks (128 KiB per file per block, like the TypeScript diff).
It does not compute the row sketch used for spectra, so it does less work.

  python3 bench/weights_diff_numpy.py BASE.safetensors FINETUNED.safetensors [--runs 2]

Prints GB/s of input (both files) by wall clock and per CPU-second (the CPU is
shared with other work; best of --runs after a warm-up pass).
"""
import json
import os
import struct
import sys
import time

import numpy as np


def header(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        h = json.loads(f.read(n))
    h.pop('__metadata__', None)
    return 8 + n, h


def bf16(raw):
    return (raw.astype(np.uint32) << 16).view(np.float32)


def stats(a, b, acc, rows_out=None):
    d = b - a
    acc[0] += float(np.dot(a, a))
    acc[1] += float(np.dot(a, d))
    acc[2] += float(np.dot(d, d))
    acc[3] = max(acc[3], float(np.abs(d).max()) if d.size else 0.0)
    acc[4] += int(np.count_nonzero(d))


def run(base, ft, chunked):
    sa, ha = header(base)
    sb, hb = header(ft)
    ma = np.memmap(base, dtype=np.uint16, mode='r')
    mb = np.memmap(ft, dtype=np.uint16, mode='r')
    out = {}
    for name, ea in ha.items():
        eb = hb[name]
        shape = ea['shape']
        rows = shape[0] if len(shape) >= 2 else 1
        cols = int(np.prod(shape)) // rows
        oa = (sa + ea['data_offsets'][0]) // 2
        ob = (sb + eb['data_offsets'][0]) // 2
        acc = [0.0, 0.0, 0.0, 0.0, 0]
        embed = 'embed' in name or 'lm_head' in name
        row_norms = np.empty(rows) if embed else None
        step = max(1, (128 << 10) // (cols * 2)) if chunked else rows
        for r in range(0, rows, step):
            n = min(step, rows - r) * cols
            a = bf16(np.asarray(ma[oa + r * cols: oa + r * cols + n]))
            b = bf16(np.asarray(mb[ob + r * cols: ob + r * cols + n]))
            stats(a, b, acc)
            if embed:
                d = (b - a).reshape(-1, cols)
                row_norms[r: r + n // cols] = np.sqrt(np.einsum('ij,ij->i', d, d))
        base_norm = acc[0] ** 0.5
        ft_norm = max(0.0, acc[0] + 2 * acc[1] + acc[2]) ** 0.5
        out[name] = {
            'delta_norm': acc[2] ** 0.5,
            'relative_change': acc[2] ** 0.5 / base_norm if base_norm else 0.0,
            'cosine': (acc[0] + acc[1]) / (base_norm * ft_norm) if base_norm and ft_norm else 1.0,
            'max_abs_change': acc[3],
            'fraction_changed': acc[4] / (rows * cols),
        }
    return out


def main():
    args = sys.argv[1:]
    runs = 2
    if '--runs' in args:
        runs = int(args[args.index('--runs') + 1])
    base, ft = args[0], args[1]
    size = os.path.getsize(base) + os.path.getsize(ft)
    for mode, chunked in (('whole tensors', False), ('row chunks', True)):
        best_wall = best_cpu = 0.0
        for r in range(runs + 1):
            c0 = time.process_time()
            t0 = time.perf_counter()
            run(base, ft, chunked)
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
            if r > 0:
                best_wall = max(best_wall, size / 1e9 / wall)
                best_cpu = max(best_cpu, size / 1e9 / cpu)
        print(f'numpy {mode}: {best_wall:.2f} GB/s wall, {best_cpu:.2f} GB per CPU-second (single thread)')


if __name__ == '__main__':
    main()

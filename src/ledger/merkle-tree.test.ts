import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  CompactRange,
  consistencyPath,
  EMPTY_ROOT,
  FlatCompactRange,
  hashChildren,
  hashLeaf,
  inclusionPath,
  type NodeSource,
  verifyConsistency,
  verifyInclusion,
} from './merkle-tree.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

// The RFC 6962 test tree used by certificate-transparency implementations.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

// Naive reference straight from the RFC 9162 definitions, over arrays of leaf hashes.
function sha(...parts: Uint8Array[]): Buffer {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
}
function k(n: number): number {
  let x = 1;
  while (x * 2 < n) x *= 2;
  return x;
}
function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0] as Buffer;
  const s = k(d.length);
  return sha(Buffer.from([1]), mth(d.slice(0, s)), mth(d.slice(s)));
}
function path(m: number, d: Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s
    ? [...path(m, d.slice(0, s)), mth(d.slice(s))]
    : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}
/** A NodeSource over an in-memory leaf list: perfect subtree hashes by naive MTH. */
function sourceOf(leaves: Buffer[]): NodeSource {
  return (level, index) => mth(leaves.slice(index * 2 ** level, (index + 1) * 2 ** level));
}
function leavesOf(n: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => hashLeaf(`leaf ${i}`));
}
function flip(b: Uint8Array): Buffer {
  const c = Buffer.from(b);
  c[0] = (c[0] as number) ^ 1;
  return c;
}

describe('RFC 6962 hashing and the CT test tree', () => {
  const leaves = CT_LEAVES.map((l) => hashLeaf(l));

  it('matches the published roots for sizes 0..8', () => {
    expect(hex(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
    expect(hex(hashLeaf(Buffer.alloc(0)))).toBe(CT_ROOTS[1]);
    expect(hex(hashChildren(leaves[0] as Buffer, leaves[1] as Buffer))).toBe(CT_ROOTS[2]);
    for (let n = 0; n <= 8; n++) {
      const range = CompactRange.empty();
      for (const l of leaves.slice(0, n)) range.append(l);
      expect(hex(range.root()), `size ${n}`).toBe(CT_ROOTS[n]);
      expect(hex(mth(leaves.slice(0, n)))).toBe(CT_ROOTS[n]);
    }
  });

  it('produces the published inclusion and consistency proofs', () => {
    const src = sourceOf(leaves);
    expect(inclusionPath(src, 0, 8).map(hex)).toEqual([
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(inclusionPath(src, 5, 8).map(hex)).toEqual([
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ]);
    expect(consistencyPath(src, 2, 8).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ]);
    expect(consistencyPath(src, 2, 5).map(hex)).toEqual([
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ]);
  });
});

describe('proof generation and verification (properties over many sizes)', () => {
  const all = leavesOf(40);

  it('inclusion: every leaf of every size 1..40 equals the naive PATH and verifies; tampering fails', () => {
    for (let n = 1; n <= 40; n++) {
      const d = all.slice(0, n);
      const root = mth(d);
      const src = sourceOf(d);
      for (let m = 0; m < n; m++) {
        const p = inclusionPath(src, m, n);
        expect(p.map(hex)).toEqual(path(m, d).map(hex));
        const leaf = d[m] as Buffer;
        expect(verifyInclusion(m, n, leaf, p, root)).toBe(true);
        expect(verifyInclusion(m, n, flip(leaf), p, root)).toBe(false);
        expect(verifyInclusion(m, n, leaf, p, flip(root))).toBe(false);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, leaf, p, root)).toBe(false);
        if (p.length > 0) {
          expect(
            verifyInclusion(m, n, leaf, [...p.slice(0, -1), flip(p[p.length - 1] as Uint8Array)], root),
          ).toBe(false);
          expect(verifyInclusion(m, n, leaf, p.slice(0, -1), root)).toBe(false);
        }
        expect(verifyInclusion(m, n, leaf, [...p, root], root)).toBe(false);
      }
    }
    expect(verifyInclusion(3, 3, all[0] as Buffer, [], EMPTY_ROOT)).toBe(false);
    expect(() => inclusionPath(sourceOf(all), 5, 5)).toThrow(RangeError);
  });

  it('consistency: every pair 0 <= m <= n <= 33 equals the naive PROOF and verifies; tampering fails', () => {
    for (let n = 1; n <= 33; n++) {
      const d = all.slice(0, n);
      const src = sourceOf(d);
      const root2 = mth(d);
      for (let m = 0; m <= n; m++) {
        const root1 = mth(d.slice(0, m));
        const p = consistencyPath(src, m, n);
        expect(p.map(hex)).toEqual(m === 0 ? [] : subproof(m, d, true).map(hex));
        expect(verifyConsistency(m, n, root1, root2, p)).toBe(true);
        if (m > 0 && m < n) {
          expect(verifyConsistency(m, n, flip(root1), root2, p)).toBe(false);
          expect(verifyConsistency(m, n, root1, flip(root2), p)).toBe(false);
          expect(verifyConsistency(m, n, root1, root2, p.slice(1))).toBe(false);
          expect(
            verifyConsistency(m, n, root1, root2, [...p.slice(0, -1), flip(p[p.length - 1] as Uint8Array)]),
          ).toBe(false);
          expect(verifyConsistency(m + 1 <= n ? m + 1 : m - 1, n, root1, root2, p)).toBe(false);
        }
      }
    }
    expect(verifyConsistency(5, 4, EMPTY_ROOT, EMPTY_ROOT, [])).toBe(false);
  });

  it('random leaves and sizes up to 5000: proofs from stored subtrees verify against incremental roots', () => {
    const n = 5000;
    const stored = new Map<string, Uint8Array>();
    const roots: Buffer[] = [EMPTY_ROOT];
    const range = CompactRange.empty();
    for (let i = 0; i < n; i++) {
      const leaf = hashLeaf(`big ${i}`);
      stored.set(`0/${i}`, leaf);
      range.append(leaf, (level, index, hash) => stored.set(`${level}/${index}`, hash));
      roots.push(range.root());
    }
    const src: NodeSource = (level, index) => stored.get(`${level}/${index}`) as Uint8Array;
    let seed = 42;
    const rand = (max: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % max;
    };
    for (let t = 0; t < 300; t++) {
      const size = 1 + rand(n);
      const m = rand(size);
      const p = inclusionPath(src, m, size);
      expect(p.length).toBeLessThanOrEqual(Math.ceil(Math.log2(size)));
      expect(verifyInclusion(m, size, stored.get(`0/${m}`) as Uint8Array, p, roots[size] as Buffer)).toBe(
        true,
      );
      const from = 1 + rand(size);
      const c = consistencyPath(src, from, size);
      expect(verifyConsistency(from, size, roots[from] as Buffer, roots[size] as Buffer, c)).toBe(true);
      if (from < size)
        expect(verifyConsistency(from, size, roots[from - 1] as Buffer, roots[size] as Buffer, c)).toBe(
          false,
        );
    }
  });

  it('CompactRange reports each completed perfect subtree with its naive hash', () => {
    const range = CompactRange.empty();
    const reported: string[] = [];
    for (let i = 0; i < 37; i++) {
      range.append(all[i] as Buffer, (level, index, hash) => {
        expect(hex(hash)).toBe(hex(sourceOf(all)(level, index)));
        reported.push(`${level}/${index}`);
      });
      expect(hex(range.root())).toBe(hex(mth(all.slice(0, i + 1))));
      const rebuilt = CompactRange.fromSource(i + 1, sourceOf(all));
      expect(hex(rebuilt.root())).toBe(hex(range.root()));
    }
    // A tree of n leaves has n - popcount(n) perfect subtrees of level >= 1.
    expect(reported).toHaveLength(37 - 3);
    expect(reported.slice(0, 4)).toEqual(['1/0', '1/1', '2/0', '1/2']);
  });

  it('FlatCompactRange reports the same subtrees and roots as CompactRange', () => {
    const n = 300;
    const leaves = Buffer.concat(Array.from({ length: n }, (_, i) => hashLeaf(`entry ${i}`)));
    const reference = CompactRange.empty();
    const flat = new FlatCompactRange();
    expect(flat.root()).toEqual(EMPTY_ROOT);
    for (let i = 0; i < n; i++) {
      const want: string[] = [];
      reference.append(leaves.subarray(i * 32, i * 32 + 32), (level, index, hash) => {
        want.push(`${level}/${index}/${hex(hash)}`);
      });
      const got: string[] = [];
      expect(
        flat.append(leaves, i * 32, (level, index, hashes, at) => {
          got.push(`${level}/${index}/${hex(hashes.subarray(at, at + 32))}`);
          return true;
        }),
      ).toBe(true);
      expect(got).toEqual(want);
      expect(flat.size).toBe(reference.size);
      expect(hex(flat.root())).toBe(hex(reference.root()));
    }
    // A callback returning false stops the append.
    const stopped = new FlatCompactRange();
    stopped.append(leaves, 0, () => false);
    expect(stopped.append(leaves, 32, () => false)).toBe(false);
  });

  it('hashes leaves and nodes as RFC 6962 defines them', () => {
    const entry = 'caf\u00e9 \ud800';
    expect(hashLeaf(entry)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0]))
        .update(entry)
        .digest(),
    );
    const bytes = Buffer.from([1, 2, 3]);
    expect(hashLeaf(bytes)).toEqual(
      createHash('sha256')
        .update(Buffer.from([0, 1, 2, 3]))
        .digest(),
    );
    const [a, b] = [hashLeaf('a'), hashLeaf('b')];
    expect(hashChildren(a, b)).toEqual(
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([1]), a, b]))
        .digest(),
    );
    expect(hashChildren(bytes, a)).toEqual(
      createHash('sha256')
        .update(Buffer.concat([Buffer.from([1]), bytes, a]))
        .digest(),
    );
  });
});

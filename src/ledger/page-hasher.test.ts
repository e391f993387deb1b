import { afterAll, describe, expect, it } from 'vitest';
import { nodeId } from './ledger-schema.js';
import { CompactRange, hashLeaf } from './merkle-tree.js';
import { entryBytes, type LogPage, PageHasher } from './page-hasher.js';

const entry = (index: number, payload = 'x'): string =>
  `{"event":{"id":"e${index}","note":${JSON.stringify(payload)}},"index":${index}}`;

/** The stored subtree rows of a log of `size` entries, by id (what the ledger writes). */
function subtreeRows(entries: readonly string[]): Map<number, Buffer> {
  const rows = new Map<number, Buffer>();
  const range = CompactRange.empty();
  for (const e of entries) {
    range.append(hashLeaf(e), (level, index, hash) => rows.set(nodeId(level, index), Buffer.from(hash)));
  }
  return rows;
}

/** A page of `entries[first .. first + count)` with the subtree rows those entries complete. */
function logPage(
  entries: readonly string[],
  first: number,
  count: number,
  rows = subtreeRows(entries),
): LogPage {
  const ids = [...rows.keys()]
    .filter((id) => id >= first * 64 && id < (first + count) * 64)
    .sort((a, b) => a - b);
  return {
    first,
    ...entryBytes(entries.slice(first, first + count)),
    nodeIds: ids.join(','),
    nodeHashes: Buffer.concat(ids.map((id) => rows.get(id) as Buffer)),
  };
}

describe.each([
  ['inline', false],
  ['on worker threads', true],
])('PageHasher %s', (_name, threaded) => {
  const hasher = PageHasher.create(threaded);
  afterAll(() => hasher.close());
  const log = Array.from({ length: 40 }, (_, i) =>
    entry(i, i % 3 === 0 ? 'ünïcödé ✓ 🙂' : 'x'.repeat(i * 400)),
  );

  it('computes SHA-256(0x00 || UTF-8 entry) for every entry and accepts a sound page', async () => {
    for (const [first, count] of [
      [0, 40],
      [8, 8],
      [5, 11], // unaligned: subtrees reaching before entry 5 are left to the caller
      [39, 1],
    ] as const) {
      const page = await hasher.hash(logPage(log, first, count));
      expect(page).toMatchObject({ firstUnbound: -1, badNodeAt: -1 });
      for (let k = 0; k < count; k++) {
        expect(page.hashes.subarray(k * 32, k * 32 + 32).equals(hashLeaf(log[first + k] as string))).toBe(
          true,
        );
      }
    }
  });

  it('hashes many small pages correctly (pooled buffers are copied, never transferred)', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, j) => hasher.hash(logPage(log, j * 2, 2))),
    );
    results.forEach((r, j) => {
      expect(r.hashes.subarray(32, 64).equals(hashLeaf(log[j * 2 + 1] as string))).toBe(true);
      expect(r.badNodeAt).toBe(-1);
    });
  });

  it('names the first in-page subtree whose stored hash does not match its children', async () => {
    const rows = subtreeRows(log);
    rows.set(nodeId(2, 2), Buffer.alloc(32, 7)); // leaves 8..11, completed by entry 11
    const page = await hasher.hash(logPage(log, 8, 8, rows));
    expect(page).toMatchObject({ badNodeAt: 3, badNodeLevel: 2 });
    // A subtree reaching before the page is not checked here.
    rows.set(nodeId(2, 2), subtreeRows(log).get(nodeId(2, 2)) as Buffer);
    rows.set(nodeId(4, 0), Buffer.alloc(32, 7)); // leaves 0..15, completed by entry 15
    expect(await hasher.hash(logPage(log, 8, 8, rows))).toMatchObject({ badNodeAt: -1 });
    expect(await hasher.hash(logPage(log, 0, 16, rows))).toMatchObject({ badNodeAt: 15, badNodeLevel: 4 });
  });

  it('names the first completed subtree whose stored row is missing', async () => {
    const rows = subtreeRows(log);
    rows.delete(nodeId(1, 5)); // leaves 10, 11
    expect(await hasher.hash(logPage(log, 8, 8, rows))).toMatchObject({ badNodeAt: 3, badNodeLevel: 1 });
  });

  it.each([
    ['another index', [entry(0), entry(5)], 1],
    ['a leading zero', [entry(0), entry(1).replace('"index":1}', '"index":01}')], 1],
    ['no index', [entry(0), '{"event":{"id":"e1"}}'], 1],
    ['a wrong prefix', [entry(0), entry(1).replace('{"event":{', '{"evemt":{')], 1],
    ['the index of the next entry', [entry(1), entry(1)], 0],
  ])('reports the first entry not bound to its index: %s', async (_what, entries, firstUnbound) => {
    const page = await hasher.hash({
      first: 0,
      ...entryBytes(entries),
      nodeIds: '',
      nodeHashes: Buffer.alloc(0),
    });
    expect(page.firstUnbound).toBe(firstUnbound);
  });

  it('handles an empty page', async () => {
    const page = await hasher.hash({ first: 3, ...entryBytes([]), nodeIds: '', nodeHashes: Buffer.alloc(0) });
    expect(page).toMatchObject({ hashes: Buffer.alloc(0), firstUnbound: -1, badNodeAt: -1 });
  });
});

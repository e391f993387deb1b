import type { Aggregator, Detector, DetectorContext, FindingDraft, RecordRef } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { recordContent } from '../record-text.js';
import {
  bandKeys,
  JaccardProbe,
  type LshParams,
  MinHasher,
  optimalLshParams,
  shingleList,
} from './minhash.js';
import { ShingleStore } from './shingle-store.js';
import { UnionFind } from './union-find.js';

const OptionsSchema = z
  .object({
    /** Jaccard similarity at or above which two records are near-duplicates. */
    threshold: z.number().gt(0).lt(1).default(0.8),
    num_perm: z.number().int().min(8).max(1024).default(128),
    shingle: z.enum(['word', 'char']).default('word'),
    /** Shingle size: words for `word`, characters for `char` (default 3 words / 5 chars). */
    ngram: z.number().int().min(1).max(32).optional(),
    /** What to compare: the whole record, or the prompt side only. */
    field: z.enum(['content', 'prompt']).default('content'),
    /** LSH tuning: relative cost of a missed pair vs. a wasted candidate check. */
    false_positive_weight: z.number().min(0).max(1).default(0.1),
    false_negative_weight: z.number().min(0).max(1).default(0.9),
    /** Bound on candidates checked per record and band (protects against huge identical clusters). */
    max_candidates: z.number().int().min(1).default(64),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;

/** Observation: LSH band keys and the shingle hashes (in text order, duplicates kept), or null for an empty record. */
export type NearDuplicateObservation = { keys: Int32Array; shingles: Int32Array } | null;

interface Prepared {
  opts: Options;
  hasher: MinHasher;
  lsh: LshParams;
  ngram: number;
}

// Memo of derived parameters per option set: the LSH search runs once per worker, not per record.
const prepared = new Map<string, Prepared>();
// ...and per context object, so the per-record lookup does not serialise the options.
const byContext = new WeakMap<DetectorContext, { seed: number; options: object; p: Prepared }>();
function prepare(ctx: DetectorContext): Prepared {
  const hit = byContext.get(ctx);
  if (hit && hit.seed === ctx.seed && hit.options === ctx.options) return hit.p;
  const key = JSON.stringify([ctx.options, ctx.seed]);
  let p = prepared.get(key);
  if (!p) {
    const opts = OptionsSchema.parse(ctx.options);
    p = {
      opts,
      hasher: new MinHasher(opts.num_perm, ctx.seed ^ 0x5f3759df),
      lsh: optimalLshParams(opts.threshold, opts.num_perm, {
        falsePositive: opts.false_positive_weight,
        falseNegative: opts.false_negative_weight,
      }),
      ngram: opts.ngram ?? (opts.shingle === 'word' ? 3 : 5),
    };
    prepared.set(key, p);
  }
  byContext.set(ctx, { seed: ctx.seed, options: ctx.options, p });
  return p;
}

/** Computes the near-duplicate observation of a text (exported for benchmarks and tests). */
export function nearDuplicateObservation(text: string, ctx: DetectorContext): NearDuplicateObservation {
  const p = prepare(ctx);
  const shingles = shingleList(text, { unit: p.opts.shingle, n: p.ngram });
  if (shingles.length === 0) return null;
  return { keys: bandKeys(p.hasher.signature(shingles), p.lsh), shingles };
}

/**
 * The LSH buckets of all bands in one open-addressing table: (band, key) ->
 * the latest record in that bucket (earlier ones are chained through `prev`).
 * Typed arrays instead of one Map per band: the band keys are arbitrary
 * int32 values, which a Map boxes, and the main thread adds every record.
 */
class BucketTable {
  private keys = new Int32Array(1 << 12);
  private bands = new Int32Array(1 << 12);
  /** Latest record + 1 (0 = empty slot). */
  private heads = new Int32Array(1 << 12);
  private size = 0;

  /** Makes `id` the head of bucket (band, key); returns the previous head, or -1. */
  push(band: number, key: number, id: number): number {
    if ((this.size + 1) * 4 > this.heads.length * 3) this.grow();
    const mask = this.heads.length - 1;
    let i = (key ^ Math.imul(band, 0x9e3779b1)) & mask;
    for (;;) {
      const h = this.heads[i] as number;
      if (h === 0) {
        this.keys[i] = key;
        this.bands[i] = band;
        this.heads[i] = id + 1;
        this.size++;
        return -1;
      }
      if (this.keys[i] === key && this.bands[i] === band) {
        this.heads[i] = id + 1;
        return h - 1;
      }
      i = (i + 1) & mask;
    }
  }

  private grow(): void {
    const { keys, bands, heads } = this;
    const cap = heads.length * 2;
    this.keys = new Int32Array(cap);
    this.bands = new Int32Array(cap);
    this.heads = new Int32Array(cap);
    const mask = cap - 1;
    for (let j = 0; j < heads.length; j++) {
      const h = heads[j] as number;
      if (h === 0) continue;
      const key = keys[j] as number;
      const band = bands[j] as number;
      let i = (key ^ Math.imul(band, 0x9e3779b1)) & mask;
      while ((this.heads[i] as number) !== 0) i = (i + 1) & mask;
      this.keys[i] = key;
      this.bands[i] = band;
      this.heads[i] = h;
    }
  }
}

/** Growable typed storage of per-record state, so 10^6 records cost a few arrays, not 10^6 objects. */
class NearDuplicateAggregator implements Aggregator<NearDuplicateObservation> {
  private readonly uf = new UnionFind();
  private readonly shingles = new ShingleStore();
  private readonly refs: RecordRef[] = [];
  private readonly buckets = new BucketTable();
  /** prev[i * bands + band]: the previous item with the same key in that band (-1 = none). */
  private prev = new Int32Array(1024);
  private readonly pairs: { a: number; b: number; j: number }[] = [];
  private readonly bands: number;
  private readonly probe = new JaccardProbe();
  private comparisons = 0;

  constructor(private readonly p: Prepared) {
    this.bands = p.lsh.bands;
  }

  add(record: RecordRef, obs: NearDuplicateObservation): void {
    if (obs === null) return;
    const id = this.uf.add();
    this.shingles.add(obs.shingles);
    this.refs.push(record);
    if ((id + 1) * this.bands > this.prev.length) {
      const grown = new Int32Array(Math.max(this.prev.length * 2, (id + 1) * this.bands));
      grown.set(this.prev);
      this.prev = grown;
    }
    const threshold = this.p.opts.threshold;
    let best = -1;
    let bestJ = 0;
    let loaded = false;
    for (let band = 0; band < this.bands; band++) {
      const head = this.buckets.push(band, obs.keys[band] as number, id);
      this.prev[id * this.bands + band] = head;
      let cand = head;
      for (let steps = 0; cand >= 0 && steps < this.p.opts.max_candidates; steps++) {
        // A candidate already in this record's cluster needs no check: the cluster is decided.
        if (this.uf.find(cand) !== this.uf.find(id)) {
          this.comparisons++;
          // This record's set goes into a hash table once, on its first candidate.
          if (!loaded) {
            this.probe.load(obs.shingles);
            loaded = true;
          }
          const j = this.probe.similarity(this.shingles.get(cand));
          if (j >= threshold) {
            this.uf.union(id, cand);
            if (best < 0 || j > bestJ) {
              best = cand;
              bestJ = j;
            }
          }
        }
        cand = this.prev[cand * this.bands + band] as number;
      }
    }
    if (best >= 0) this.pairs.push({ a: id, b: best, j: bestJ });
  }

  finish(): FindingDraft[] {
    this.shingles.close();
    // A cluster is named by its earliest record, which is stable whatever the union order.
    const first = new Map<number, number>();
    for (const { a, b } of this.pairs) {
      const root = this.uf.find(a);
      const idx = Math.min((this.refs[a] as RecordRef).index, (this.refs[b] as RecordRef).index);
      first.set(root, Math.min(first.get(root) ?? idx, idx));
    }
    return this.pairs.map(({ a, b, j }) => {
      const ra = this.refs[a] as RecordRef;
      const rb = this.refs[b] as RecordRef;
      const root = this.uf.find(a);
      return {
        detector: 'near-duplicate',
        severity: 'low',
        record: ra.index,
        file: ra.file,
        line: ra.line,
        field: null,
        message: `near-duplicate of record ${rb.index} (${rb.file}:${rb.line}), Jaccard ${j.toFixed(3)}`,
        evidence: {
          duplicate_of: rb.index,
          duplicate_of_location: `${rb.file}:${rb.line}`,
          jaccard: Math.round(j * 1e4) / 1e4,
          cluster: first.get(root) ?? rb.index,
          cluster_size: this.uf.sizeOf(a),
        },
        score: j,
      };
    });
  }

  summary(): Record<string, unknown> {
    const clusters = new Set<number>();
    for (const { a } of this.pairs) clusters.add(this.uf.find(a));
    return {
      threshold: this.p.opts.threshold,
      num_perm: this.p.opts.num_perm,
      bands: this.p.lsh.bands,
      rows: this.p.lsh.rows,
      near_duplicates: this.pairs.length,
      clusters: clusters.size,
      comparisons: this.comparisons,
    };
  }
}

/** MinHash + LSH near-duplicate detection with exact-Jaccard confirmation and union-find clusters. */
export const nearDuplicateDetector: Detector<NearDuplicateObservation> = {
  module: import.meta.url,
  id: 'near-duplicate',
  description:
    'Records whose shingle sets have Jaccard similarity at or above the threshold (default 0.8) with an earlier record: MinHash LSH candidates, confirmed by exact Jaccard, clustered by union-find.',
  defaultSeverity: 'low',
  configure(ctx) {
    parseDetectorOptions('near-duplicate', OptionsSchema, ctx.options);
  },
  analyze(record, ctx) {
    const p = prepare(ctx);
    const text = p.opts.field === 'prompt' ? record.prompt : recordContent(record);
    return { observation: nearDuplicateObservation(text, ctx) };
  },
  createAggregator(ctx) {
    return new NearDuplicateAggregator(prepare(ctx));
  },
};

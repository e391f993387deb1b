import { createHash } from 'node:crypto';
import type { DatasetRecord } from '../dataset-record.js';
import type { Aggregator, Detector, DetectorContext, FindingDraft, RecordRef } from '../detector.js';
import { cachedOptions, parseDetectorOptions, z } from '../options.js';
import { ArrayPool } from './array-pool.js';
import { fmix32, wordHashes } from './minhash.js';
import { classifyStance } from './response-stance.js';

const OptionsSchema = z
  .object({
    /** Folds for out-of-fold predictions (confident learning). */
    folds: z.number().int().min(2).max(20).default(5),
    /** Most "likely mislabelled" / "likely swapped" findings to report (lowest self-confidence first). */
    max_findings: z.number().int().min(0).default(500),
    /** Meta fields that name the labeler, first present wins. */
    labeler_fields: z
      .array(z.string())
      .default(['labeler', 'labeler_id', 'annotator', 'annotator_id', 'rater', 'worker_id']),
    /** Percent of each labeler's records drawn into the review sample (0 = none). */
    review_sample_pct: z.number().min(0).max(100).default(0),
    /** Day of the review sample (YYYY-MM-DD, default today UTC): same seed + day = same sample. */
    review_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/)
      .optional(),
    /** A labeler is flagged when this share of their labels disagrees with consensus. */
    labeler_disagreement: z.number().min(0).max(1).default(0.3),
    /** Out-of-fold accuracy the preference model needs before it may call pairs swapped. */
    swap_min_accuracy: z.number().min(0.5).max(1).default(0.75),
    /** Minimum labels a labeler needs before being judged. */
    labeler_min_records: z.number().int().min(1).default(20),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;

/**
 * Key of a text for "near-identical": the sequence of its lower-cased words,
 * so case, punctuation and whitespace differences fold away. Two independent
 * 32-bit hashes plus the word count make collisions negligible.
 */
function textKey(text: string): string {
  const words = wordHashes(text);
  let h1 = 0x9747b28c | 0;
  let h2 = 0x1b873593 | 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as number;
    h1 = Math.imul(h1 ^ w, 0x01000193);
    h2 = (Math.imul(h2 + w, 0x5bd1e995) ^ (h2 >>> 13)) | 0;
  }
  return `${(fmix32(h1) >>> 0).toString(36)}.${(fmix32(h2) >>> 0).toString(36)}.${words.length}`;
}

let bitmap = new Int32Array(1 << 13);

/**
 * The same features as `hashedFeatures(text, bits, max)` (hashed word
 * uni/bigrams, the `max` smallest distinct buckets in ascending order),
 * computed by marking buckets in a bitmap and reading the lowest set bits,
 * instead of sorting every term of the record: the features of every record
 * are computed, and the sort was most of it.
 */
export function wordFeatures(text: string, bits = BITS, max = 192): Int32Array {
  const words = wordHashes(text);
  const mask = (1 << bits) - 1;
  const n = Math.min(words.length, 4000);
  const slots = Math.max(1, (mask + 1) >>> 5);
  if (bitmap.length < slots) bitmap = new Int32Array(slots);
  const map = bitmap;
  let lo = slots;
  let hi = -1;
  const mark = (f: number) => {
    const wi = f >>> 5;
    map[wi] = (map[wi] as number) | (1 << (f & 31));
    if (wi < lo) lo = wi;
    if (wi > hi) hi = wi;
  };
  for (let i = 0; i < n; i++) {
    const h = words[i] as number;
    mark(h & mask);
    if (i > 0) mark(fmix32(Math.imul(words[i - 1] as number, 31) ^ h) & mask);
  }
  const out = new Int32Array(Math.min(max, 2 * n));
  let w = 0;
  for (let wi = lo; wi <= hi && w < max; wi++) {
    let x = map[wi] as number;
    while (x !== 0 && w < max) {
      const low = x & -x;
      out[w++] = (wi << 5) | (31 - Math.clz32(low));
      x ^= low;
    }
  }
  if (hi >= lo) map.fill(0, lo, hi + 1);
  return w === out.length ? out : out.slice(0, w);
}

/** Per-record observation (structured-clone friendly). */
export interface LabelObservation {
  shape: DatasetRecord['shape'];
  labeler?: string;
  /** Classification: label and text features. */
  label?: string;
  key?: string;
  feats?: Int32Array;
  /** Instruction/chat: whether the answer refuses. */
  refusal?: boolean;
  /** Preference: keys of chosen/rejected and features of each side. */
  chosenKey?: string;
  rejectedKey?: string;
  chosenFeats?: Int32Array;
  rejectedFeats?: Int32Array;
}

function labelerOf(record: DatasetRecord, fields: readonly string[]): string | undefined {
  for (const f of fields) {
    const v = record.meta[f];
    if (typeof v === 'string' && v !== '') return v;
    if (typeof v === 'number') return String(v);
  }
  return undefined;
}

const BITS = 18;

/** Multinomial naive Bayes over hashed features with k-fold out-of-fold probabilities. */
function outOfFoldNaiveBayes(
  feats: Int32Array[],
  labels: Int32Array,
  classes: number,
  folds: number,
  seed: number,
): Float64Array {
  const n = feats.length;
  const bits = classes <= 4 ? BITS : 16;
  const dim = 1 << bits;
  const mask = dim - 1;
  const fold = new Int32Array(n);
  for (let i = 0; i < n; i++) fold[i] = (fmix32(i ^ seed) >>> 0) % folds;
  // Counts per feature, class and fold in one table: counts[((f * classes) + c) * stride + k],
  // k = 0 the total, k = 1 + fold the fold's own (out-of-fold = total minus the fold's).
  // Everything one record touches for a feature sits in one cache line: the table is
  // megabytes, accessed at random, and memory latency was most of this function's time.
  const stride = folds + 1;
  const counts = new Float32Array(dim * classes * stride);
  const classTotal = new Float64Array(classes);
  const classFold = Array.from({ length: folds }, () => new Float64Array(classes));
  const docs = new Float64Array(classes);
  const docsFold = Array.from({ length: folds }, () => new Float64Array(classes));
  for (let i = 0; i < n; i++) {
    const c = labels[i] as number;
    const f = fold[i] as number;
    const x = feats[i] as Int32Array;
    for (let j = 0; j < x.length; j++) {
      const idx = (((x[j] as number) & mask) * classes + c) * stride;
      counts[idx] = (counts[idx] as number) + 1;
      counts[idx + 1 + f] = (counts[idx + 1 + f] as number) + 1;
    }
    classTotal[c] = (classTotal[c] as number) + x.length;
    (classFold[f] as Float64Array)[c] = ((classFold[f] as Float64Array)[c] as number) + x.length;
    docs[c] = (docs[c] as number) + 1;
    (docsFold[f] as Float64Array)[c] = ((docsFold[f] as Float64Array)[c] as number) + 1;
  }
  const probs = new Float64Array(n * classes);
  const alpha = 1;
  const logp = new Float64Array(classes);
  const denoms = new Float64Array(classes);
  // Feature counts are small integers: log(count + alpha) from a table (the same
  // values Math.log gives) instead of one Math.log per feature, class and record.
  const logCount = new Float64Array(Math.min(n, 1 << 16) + 1);
  for (let x = 0; x < logCount.length; x++) logCount[x] = Math.log(x + alpha);
  for (let i = 0; i < n; i++) {
    const f = fold[i] as number;
    const x = feats[i] as Int32Array;
    let docsOut = 0;
    for (let c = 0; c < classes; c++)
      docsOut += (docs[c] as number) - ((docsFold[f] as Float64Array)[c] as number);
    for (let c = 0; c < classes; c++) {
      const dc = (docs[c] as number) - ((docsFold[f] as Float64Array)[c] as number);
      const tc = (classTotal[c] as number) - ((classFold[f] as Float64Array)[c] as number);
      logp[c] = Math.log((dc + 1) / (docsOut + classes));
      denoms[c] = Math.log(tc + alpha * dim);
    }
    // Features outer, classes inner: each class still sums its terms in feature order.
    if (classes === 2) {
      // Binary labels (the common case): both sums in registers, same additions in the same order.
      let l0 = logp[0] as number;
      let l1 = logp[1] as number;
      const d0 = denoms[0] as number;
      const d1 = denoms[1] as number;
      for (let j = 0; j < x.length; j++) {
        const at = ((x[j] as number) & mask) * 2 * stride;
        const c0 = ((counts[at] as number) - (counts[at + 1 + f] as number)) | 0;
        const c1 = ((counts[at + stride] as number) - (counts[at + stride + 1 + f] as number)) | 0;
        l0 = l0 + ((c0 < logCount.length ? (logCount[c0] as number) : Math.log(c0 + alpha)) - d0);
        l1 = l1 + ((c1 < logCount.length ? (logCount[c1] as number) : Math.log(c1 + alpha)) - d1);
      }
      logp[0] = l0;
      logp[1] = l1;
    } else
      for (let j = 0; j < x.length; j++) {
        const base = ((x[j] as number) & mask) * classes * stride;
        for (let c = 0; c < classes; c++) {
          const at = base + c * stride;
          // An integer (counts are whole numbers), so the table index stays a small integer.
          const count = ((counts[at] as number) - (counts[at + 1 + f] as number)) | 0;
          logp[c] =
            (logp[c] as number) +
            ((count < logCount.length ? (logCount[count] as number) : Math.log(count + alpha)) -
              (denoms[c] as number));
        }
      }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) if ((logp[c] as number) > max) max = logp[c] as number;
    let z = 0;
    for (let c = 0; c < classes; c++) z += Math.exp((logp[c] as number) - max);
    for (let c = 0; c < classes; c++) probs[i * classes + c] = Math.exp((logp[c] as number) - max) / z;
  }
  return probs;
}

/** Bradley-Terry logistic model on feature differences, k-fold: P(chosen is better) out of fold. */
function outOfFoldPreference(
  chosen: Int32Array[],
  rejected: Int32Array[],
  folds: number,
  seed: number,
): Float64Array {
  const n = chosen.length;
  const dim = 1 << BITS;
  const mask = dim - 1;
  const fold = new Int32Array(n);
  for (let i = 0; i < n; i++) fold[i] = (fmix32(i ^ seed) >>> 0) % folds;
  const out = new Float64Array(n);
  const score = (w: Float32Array, i: number) => {
    let s = 0;
    for (const f of chosen[i] as Int32Array) s += w[f & mask] as number;
    for (const f of rejected[i] as Int32Array) s -= w[f & mask] as number;
    return s;
  };
  for (let k = 0; k < folds; k++) {
    const w = new Float32Array(dim);
    for (let epoch = 0; epoch < 3; epoch++) {
      const lr = 0.1 / (1 + epoch);
      for (let i = 0; i < n; i++) {
        if (fold[i] === k) continue;
        // Each pair is shown in both orientations (label 1 and 0) so the model has two classes.
        const p = 1 / (1 + Math.exp(-score(w, i)));
        const g = lr * (1 - p);
        for (const f of chosen[i] as Int32Array) w[f & mask] = (w[f & mask] as number) + g;
        for (const f of rejected[i] as Int32Array) w[f & mask] = (w[f & mask] as number) - g;
      }
    }
    for (let i = 0; i < n; i++) if (fold[i] === k) out[i] = 1 / (1 + Math.exp(-score(w, i)));
  }
  return out;
}

/** Reproducible per-day draw: hash of (seed, day, record index) below the percent. */
function inReviewSample(seed: number, day: string, index: number, pct: number): boolean {
  const h = createHash('sha256').update(`${seed}:${day}:${index}`).digest();
  return h.readUInt32BE(0) / 0x100000000 < pct / 100;
}

class LabelConsistencyAggregator implements Aggregator<LabelObservation> {
  private readonly refs: RecordRef[] = [];
  private readonly obs: LabelObservation[] = [];
  private summaryData: Record<string, unknown> = {};

  constructor(
    private readonly opts: Options,
    private readonly seed: number,
  ) {}

  /**
   * Feature arrays of all records (slot = record) in chunked pools: a typed
   * array per record costs more in overhead than its 192 values. Views are
   * handed back to the observations in `finish`.
   */
  private readonly featPools = [0, 1, 2].map(() => new ArrayPool((n) => new Int32Array(n)));
  /** One instance per distinct string (labels, labelers and shapes repeat on every record). */
  private readonly strings = new Map<string, string>();

  private intern<T extends string | undefined>(v: T): T {
    if (v === undefined) return v;
    const known = this.strings.get(v);
    if (known !== undefined) return known as T;
    this.strings.set(v, v);
    return v;
  }

  add(record: RecordRef, o: LabelObservation): void {
    this.refs.push(record);
    const kept: LabelObservation = { shape: this.intern(o.shape) };
    if (o.labeler !== undefined) kept.labeler = this.intern(o.labeler);
    if (o.label !== undefined) kept.label = this.intern(o.label);
    if (o.key !== undefined) kept.key = o.key;
    if (o.refusal !== undefined) kept.refusal = o.refusal;
    if (o.chosenKey !== undefined) kept.chosenKey = o.chosenKey;
    if (o.rejectedKey !== undefined) kept.rejectedKey = o.rejectedKey;
    const [feats, chosen, rejected] = this.featPools as [
      ArrayPool<Int32Array>,
      ArrayPool<Int32Array>,
      ArrayPool<Int32Array>,
    ];
    feats.push(o.feats);
    chosen.push(o.chosenFeats);
    rejected.push(o.rejectedFeats);
    this.obs.push(kept);
  }

  finish(): FindingDraft[] {
    // The pool no longer grows: give the observations their feature views back.
    const [feats, chosen, rejected] = this.featPools as [
      ArrayPool<Int32Array>,
      ArrayPool<Int32Array>,
      ArrayPool<Int32Array>,
    ];
    for (let i = 0; i < this.obs.length; i++) {
      const o = this.obs[i] as LabelObservation;
      const f = feats.get(i);
      if (f) o.feats = f;
      const c = chosen.get(i);
      if (c) o.chosenFeats = c;
      const r = rejected.get(i);
      if (r) o.rejectedFeats = r;
    }
    const out: FindingDraft[] = [];
    this.conflictingLabels(out);
    const consensus = this.confidentLearning(out);
    this.contradictingResponses(out);
    this.preferences(out);
    this.labelers(out, consensus);
    return out;
  }

  summary(): Record<string, unknown> {
    return this.summaryData;
  }

  private finding(
    i: number,
    rule: string,
    severity: FindingDraft['severity'],
    message: string,
    score: number,
    evidence: Record<string, unknown>,
  ): FindingDraft {
    const r = this.refs[i] as RecordRef;
    return {
      detector: 'label-consistency',
      rule: `label-consistency.${rule}`,
      severity,
      record: r.index,
      file: r.file,
      line: r.line,
      field: null,
      message,
      evidence,
      score,
    };
  }

  /** Near-identical classification texts with different labels. */
  private conflictingLabels(out: FindingDraft[]): void {
    const groups = new Map<string, number[]>();
    this.obs.forEach((o, i) => {
      if (o.label !== undefined && o.key) {
        const g = groups.get(o.key);
        if (g) g.push(i);
        else groups.set(o.key, [i]);
      }
    });
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const labels = new Set(members.map((i) => this.obs[i]?.label));
      if (labels.size < 2) continue;
      const first = this.refs[members[0] as number] as RecordRef;
      for (const i of members) {
        out.push(
          this.finding(
            i,
            'conflicting-labels',
            'medium',
            `near-identical text labelled differently: ${[...labels].map((l) => JSON.stringify(l)).join(' vs ')} (${members.length} records, first ${first.file}:${first.line})`,
            0.9,
            {
              labels: [...labels],
              group: members.map((m) => (this.refs[m] as RecordRef).index).slice(0, 20),
            },
          ),
        );
      }
    }
  }

  /** Confident learning: out-of-fold probabilities, per-class thresholds, off-diagonal = likely mislabelled. */
  private confidentLearning(out: FindingDraft[]): Map<number, string> | undefined {
    const idx: number[] = [];
    this.obs.forEach((o, i) => {
      if (o.label !== undefined && o.feats) idx.push(i);
    });
    const classNames = [...new Set(idx.map((i) => this.obs[i]?.label as string))].sort();
    if (idx.length < this.opts.folds * 4 || classNames.length < 2 || classNames.length > 64) return undefined;
    const classOf = new Map(classNames.map((c, k) => [c, k]));
    const labels = Int32Array.from(idx.map((i) => classOf.get(this.obs[i]?.label as string) as number));
    const C = classNames.length;
    const probs = outOfFoldNaiveBayes(
      idx.map((i) => this.obs[i]?.feats as Int32Array),
      labels,
      C,
      this.opts.folds,
      this.seed,
    );
    const thresholds = new Float64Array(C);
    const counts = new Float64Array(C);
    for (let r = 0; r < idx.length; r++) {
      const c = labels[r] as number;
      thresholds[c] = (thresholds[c] as number) + (probs[r * C + c] as number);
      counts[c] = (counts[c] as number) + 1;
    }
    for (let c = 0; c < C; c++) thresholds[c] = (thresholds[c] as number) / Math.max(1, counts[c] as number);
    const flagged: { r: number; suggested: number; self: number }[] = [];
    const predicted = new Map<number, string>();
    for (let r = 0; r < idx.length; r++) {
      const given = labels[r] as number;
      let best = -1;
      let bestP = -1;
      let arg = 0;
      for (let c = 0; c < C; c++) {
        const p = probs[r * C + c] as number;
        if (p > (probs[r * C + arg] as number)) arg = c;
        if (c !== given && p >= (thresholds[c] as number) && p > bestP) {
          best = c;
          bestP = p;
        }
      }
      predicted.set(idx[r] as number, classNames[arg] as string);
      const self = probs[r * C + given] as number;
      // Off-diagonal of the confident joint, and the model prefers the other class outright.
      if (best >= 0 && bestP > self) flagged.push({ r, suggested: best, self });
    }
    flagged.sort((a, b) => a.self - b.self);
    for (const f of flagged.slice(0, this.opts.max_findings)) {
      const i = idx[f.r] as number;
      out.push(
        this.finding(
          i,
          'likely-mislabelled',
          'medium',
          `label ${JSON.stringify(classNames[labels[f.r] as number])} looks wrong; out-of-fold model suggests ${JSON.stringify(classNames[f.suggested])} (self-confidence ${f.self.toFixed(3)})`,
          1 - f.self,
          {
            label: classNames[labels[f.r] as number],
            suggested: classNames[f.suggested],
            self_confidence: Math.round(f.self * 1e4) / 1e4,
          },
        ),
      );
    }
    this.summaryData.confident_learning = {
      records: idx.length,
      classes: C,
      flagged: flagged.length,
      reported: Math.min(flagged.length, this.opts.max_findings),
      class_thresholds: Object.fromEntries(
        classNames.map((c, k) => [c, Math.round((thresholds[k] as number) * 1e4) / 1e4]),
      ),
    };
    return predicted;
  }

  /** Instruction/chat: the same prompt answered once with a refusal and once with compliance. */
  private contradictingResponses(out: FindingDraft[]): void {
    const groups = new Map<string, number[]>();
    this.obs.forEach((o, i) => {
      if (o.refusal !== undefined && o.key) {
        const g = groups.get(o.key);
        if (g) g.push(i);
        else groups.set(o.key, [i]);
      }
    });
    for (const members of groups.values()) {
      if (members.length < 2) continue;
      const refusals = members.filter((i) => this.obs[i]?.refusal);
      if (refusals.length === 0 || refusals.length === members.length) continue;
      const compliant = members.length - refusals.length;
      for (const i of members) {
        const refused = this.obs[i]?.refusal === true;
        out.push(
          this.finding(
            i,
            'contradicting-responses',
            'medium',
            `the same prompt is ${refused ? 'refused here' : 'answered here'} but ${refused ? `answered in ${compliant}` : `refused in ${refusals.length}`} other record(s)`,
            0.8,
            {
              refusals: refusals.length,
              compliant,
              group: members.map((m) => (this.refs[m] as RecordRef).index).slice(0, 20),
            },
          ),
        );
      }
    }
  }

  /** Preference data: reversed duplicates and pairs the out-of-fold preference model finds swapped. */
  private preferences(out: FindingDraft[]): void {
    const idx: number[] = [];
    const seen = new Map<string, number>();
    this.obs.forEach((o, i) => {
      if (o.chosenKey === undefined || o.rejectedKey === undefined) return;
      idx.push(i);
      const reversed = seen.get(`${o.key}|${o.rejectedKey}|${o.chosenKey}`);
      if (reversed !== undefined && o.chosenKey !== o.rejectedKey) {
        const other = this.refs[reversed] as RecordRef;
        out.push(
          this.finding(
            i,
            'reversed-preference',
            'medium',
            `the same pair is preferred the other way round in record ${other.index} (${other.file}:${other.line})`,
            0.9,
            { reversed_of: other.index },
          ),
        );
      }
      seen.set(`${o.key}|${o.chosenKey}|${o.rejectedKey}`, i);
    });
    if (idx.length < this.opts.folds * 10) return;
    const p = outOfFoldPreference(
      idx.map((i) => this.obs[i]?.chosenFeats as Int32Array),
      idx.map((i) => this.obs[i]?.rejectedFeats as Int32Array),
      this.opts.folds,
      this.seed,
    );
    // Swap flags are only meaningful when the model predicts held-out preferences well;
    // on data it cannot model (accuracy near chance) low scores are noise.
    let agree = 0;
    for (let r = 0; r < idx.length; r++) if ((p[r] as number) > 0.5) agree++;
    const accuracy = agree / idx.length;
    this.summaryData.preference = { pairs: idx.length, model_accuracy: Math.round(accuracy * 1e4) / 1e4 };
    if (accuracy < this.opts.swap_min_accuracy) return;
    const flagged: { r: number; p: number }[] = [];
    for (let r = 0; r < idx.length; r++) if ((p[r] as number) < 0.1) flagged.push({ r, p: p[r] as number });
    flagged.sort((a, b) => a.p - b.p);
    for (const f of flagged.slice(0, this.opts.max_findings)) {
      out.push(
        this.finding(
          idx[f.r] as number,
          'likely-swapped',
          'low',
          `chosen and rejected look swapped: out-of-fold preference model gives the chosen response P=${f.p.toFixed(3)}`,
          1 - f.p,
          {
            p_chosen_better: Math.round(f.p * 1e4) / 1e4,
          },
        ),
      );
    }
    this.summaryData.preference = {
      pairs: idx.length,
      model_accuracy: Math.round(accuracy * 1e4) / 1e4,
      likely_swapped: flagged.length,
    };
  }

  /** Per-labeler disagreement with consensus (majority on shared items, else the model) and review samples. */
  private labelers(out: FindingDraft[], predicted: Map<number, string> | undefined): void {
    const byLabeler = new Map<string, number[]>();
    this.obs.forEach((o, i) => {
      if (o.labeler !== undefined && o.label !== undefined) {
        const l = byLabeler.get(o.labeler);
        if (l) l.push(i);
        else byLabeler.set(o.labeler, [i]);
      }
    });
    if (byLabeler.size === 0) return;
    // Majority label per near-identical text among records labelled by 2+ labelers.
    const votes = new Map<string, Map<string, number>>();
    this.obs.forEach((o) => {
      if (o.labeler === undefined || o.label === undefined || !o.key) return;
      const v = votes.get(o.key) ?? new Map<string, number>();
      v.set(o.label, (v.get(o.label) ?? 0) + 1);
      votes.set(o.key, v);
    });
    const majority = (key: string): string | undefined => {
      const v = votes.get(key);
      if (!v) return undefined;
      let total = 0;
      let best: string | undefined;
      let n = 0;
      for (const [label, c] of v) {
        total += c;
        if (c > n) [best, n] = [label, c];
      }
      return total >= 2 && n * 2 > total ? best : undefined;
    };
    const stats: Record<
      string,
      { records: number; judged: number; disagreements: number; rate: number; basis: string }
    > = {};
    const day = this.opts.review_date ?? new Date().toISOString().slice(0, 10);
    const sample: Record<string, number[]> = {};
    for (const [labeler, members] of byLabeler) {
      let judged = 0;
      let disagree = 0;
      let basis = 'consensus';
      for (const i of members) {
        const o = this.obs[i] as LabelObservation;
        const consensus = (o.key && majority(o.key)) ?? predicted?.get(i);
        if (o.key && majority(o.key) === undefined) basis = predicted ? 'consensus+model' : basis;
        if (consensus === undefined) continue;
        judged++;
        if (consensus !== o.label) disagree++;
      }
      const rate = judged > 0 ? disagree / judged : 0;
      stats[labeler] = {
        records: members.length,
        judged,
        disagreements: disagree,
        rate: Math.round(rate * 1e4) / 1e4,
        basis,
      };
      if (judged >= this.opts.labeler_min_records && rate >= this.opts.labeler_disagreement) {
        const first = this.refs[members[0] as number] as RecordRef;
        out.push({
          detector: 'label-consistency',
          rule: 'label-consistency.labeler-disagreement',
          severity: 'medium',
          record: null,
          file: first.file,
          line: null,
          field: 'labeler',
          message: `labeler ${JSON.stringify(labeler)} disagrees with consensus on ${(rate * 100).toFixed(1)}% of ${judged} judged labels`,
          evidence: { labeler, ...stats[labeler] },
          score: Math.min(1, rate),
        });
      }
      if (this.opts.review_sample_pct > 0) {
        sample[labeler] = members
          .filter((i) =>
            inReviewSample(this.seed, day, (this.refs[i] as RecordRef).index, this.opts.review_sample_pct),
          )
          .map((i) => (this.refs[i] as RecordRef).index);
      }
    }
    this.summaryData.labelers = stats;
    if (this.opts.review_sample_pct > 0) {
      this.summaryData.review_sample = {
        day,
        seed: this.seed,
        pct: this.opts.review_sample_pct,
        records: sample,
      };
    }
  }
}

/** Label problems: conflicting labels, confident-learning mislabels, contradicting answers, swapped preferences, labeler drift. */
export const labelConsistencyDetector: Detector<LabelObservation> = {
  module: import.meta.url,
  id: 'label-consistency',
  description:
    'Label problems: near-identical texts with different labels, likely mislabelled records (confident learning on out-of-fold naive Bayes), the same prompt refused and answered, identical or swapped preference pairs, and labelers who disagree with consensus.',
  defaultSeverity: 'medium',
  configure(ctx: DetectorContext) {
    parseDetectorOptions('label-consistency', OptionsSchema, ctx.options);
  },
  analyze(record, ctx) {
    const opts = cachedOptions(OptionsSchema, ctx.options);
    const labeler = labelerOf(record, opts.labeler_fields);
    const base = { shape: record.shape, ...(labeler !== undefined ? { labeler } : {}) };
    if (record.label !== undefined) {
      return {
        observation: {
          ...base,
          label: record.label,
          key: textKey(record.prompt),
          feats: wordFeatures(record.prompt),
        },
      };
    }
    if (record.shape === 'preference' && record.rejected !== undefined) {
      const chosenKey = textKey(record.response);
      const rejectedKey = textKey(record.rejected);
      const findings: FindingDraft[] =
        chosenKey === rejectedKey
          ? [
              {
                detector: 'label-consistency',
                rule: 'label-consistency.identical-preference',
                severity: 'medium',
                field: 'rejected',
                message:
                  'chosen and rejected responses are identical (after normalisation): the pair teaches nothing or hides a swap',
                score: 1,
                evidence: {},
              },
            ]
          : [];
      return {
        findings,
        observation: {
          ...base,
          key: textKey(record.prompt),
          chosenKey,
          rejectedKey,
          chosenFeats: wordFeatures(record.response, BITS, 128),
          rejectedFeats: wordFeatures(record.rejected, BITS, 128),
        },
      };
    }
    if (
      (record.shape === 'instruction' || record.shape === 'chat' || record.shape === 'completion') &&
      record.response
    ) {
      return {
        observation: {
          ...base,
          key: textKey(record.prompt),
          refusal: classifyStance(record.response) === 'refusal',
        },
      };
    }
    return { observation: base };
  },
  createAggregator(ctx) {
    return new LabelConsistencyAggregator(OptionsSchema.parse(ctx.options), ctx.seed);
  },
};

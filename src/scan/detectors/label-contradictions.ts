import { availableParallelism } from 'node:os';
import { startModuleWorker } from '../module-worker.js';
import {
  LOCAL_BITS,
  localIsPrefix,
  localLength,
  localToken,
  MAX_N,
  type TokenPool,
  unigramId,
} from './gram-census.js';
import type { TriggerCensus } from './trigger-census.js';
import { logBinomialUpperTail } from './trigger-statistics.js';

/**
 * The backdoor-trigger miner's label-contradiction test (classification data): naive Bayes over
 * each record's distinct unigrams, then for each pure gram/label pair the carriers with that label
 * the model does not predict once the gram's own unigrams are taken out. Once built, the model is
 * read-only, so the pairs can be split between this thread and one more (`testLabelPairsThreaded`:
 * the step runs after the census, when the scan's workers are done and a core is idle); both run
 * `testLabelPairs`, and the kept pairs are joined in pair order, so the results are the same.
 */

const LOCAL_MASK = (1 << LOCAL_BITS) - 1;

/** Tested gram/label pairs, the columns the test reads. */
export interface LabelPairColumns {
  length: number;
  /** Occurrence the gram's text is cut from (`record << LOCAL_BITS | local`). */
  textAt: Uint32Array;
  support: Uint32Array;
  outcome: Uint32Array;
  /** The carrying records' first occurrences in `postings` [start, end). */
  postStart: Int32Array;
  postEnd: Int32Array;
}

/** What the label test reads, as flat typed arrays (the per-carrier loop is hot); never written. */
export interface LabelModel {
  labelCount: number;
  minSupport: number;
  /** Share of records the model contradicts (the binomial test's base rate). */
  contradictionRate: number;
  /** Per record and label: log prior plus the weights of the record's unigrams. */
  scores: Float64Array;
  /** Per unigram index and label: log-weight. */
  weights: Float64Array;
  /** Label index per record (-1: one the model does not tell apart). */
  labels: Int32Array;
  /** Per record: its first outcome id (its label's). */
  firstOutcome: Uint32Array;
  /** Per record: its first outcome, or -1 when no gram's unigrams can make it contradicted. */
  openOutcome: Int32Array;
  /** Records where a unigram's id was first seen as a longer gram (checked unigram by unigram). */
  irregular: Uint8Array;
  /** The token pool's hashes and record starts. */
  hashes: Uint32Array;
  starts: Uint32Array;
  /** Per pool position: 1 + the index in `uniIds` of the unigram the record holds from there (0: none). */
  uniAt: Int32Array;
  /** Ascending ids of the unigrams held by some record (exactly that long). */
  uniIds: Uint32Array;
  /** Ascending pool positions of tokens starting with `^`. */
  carets: Int32Array;
  pairs: LabelPairColumns;
  postings: Uint32Array;
}

/**
 * The label model over a census of classification records (`labels`: index per record, -1 past
 * the labels told apart; `firstOutcome`: each record's first outcome id).
 */
export function labelModel(
  census: TriggerCensus,
  pool: TokenPool,
  labels: Int32Array,
  labelCount: number,
  firstOutcome: Uint32Array,
  carets: Iterable<number>,
  minSupport: number,
): LabelModel {
  const { tested, postings, uniAt, uniIds, uniCounts, irregular } = census;
  const N = labels.length;
  const L = labelCount;
  const nUni = uniIds.length;
  const labelDocs = new Array<number>(L).fill(0);
  for (let r = 0; r < N; r++) {
    const li = labels[r] as number;
    if (li >= 0) labelDocs[li] = (labelDocs[li] as number) + 1;
  }
  // Log-weights once per distinct unigram and label (the same expressions the model always used).
  const W = new Float64Array(nUni * L);
  for (let u = 0; u < nUni; u++)
    for (let l = 0; l < L; l++)
      W[u * L + l] = Math.log(((uniCounts.data[u * L + l] as number) + 1) / ((labelDocs[l] as number) + 2));
  const total = labelDocs.reduce((a, b) => a + b, 0);
  // Per-record scores: the label's log prior plus each held unigram's weight, in record order.
  // One pass over a record's tokens adds to every label's score; each label's additions keep
  // the token order, so the sums are the same numbers as one pass per label.
  const scores = new Float64Array(N * L);
  for (let r = 0; r < N; r++) {
    const s = pool.start(r);
    const e = s + pool.length(r);
    const at = r * L;
    for (let l = 0; l < L; l++) scores[at + l] = Math.log(((labelDocs[l] as number) + 1) / (total + L));
    for (let p = s; p < e; p++) {
      const u = uniAt[p] as number;
      if (u > 0)
        for (let l = 0; l < L; l++)
          scores[at + l] = (scores[at + l] as number) + (W[(u - 1) * L + l] as number);
    }
  }
  let contra = 0;
  for (let r = 0; r < N; r++) if (argmax(scores, r * L, L) !== labels[r]) contra++;
  // Taking out a gram's (at most MAX_N) unigrams moves two labels apart by at most `reach`:
  // carriers whose label wins by more are never contradicted (see `contradictions`). The open
  // check compares a pair's outcome with `openOutcome`: -1 for those, one read per carrier.
  let maxW = 0;
  for (let k = 0; k < W.length; k++) maxW = Math.max(maxW, Math.abs(W[k] as number));
  const reach = 2 * MAX_N * maxW;
  const openOutcome = Int32Array.from(firstOutcome);
  for (let r = 0; r < N; r++) {
    const y = labels[r] as number;
    if (y < 0) continue;
    const sy = scores[r * L + y] as number;
    let wins = true;
    for (let l = 0; l < L && wins; l++) {
      const sl = scores[r * L + l] as number;
      if (l !== y && !(sy - sl > reach + 1e-9 * (Math.abs(sy) + Math.abs(sl) + reach + 1))) wins = false;
    }
    if (wins) openOutcome[r] = -1;
  }
  return {
    labelCount: L,
    minSupport,
    contradictionRate: Math.min(0.5, Math.max(0.01, contra / N)),
    scores,
    weights: W,
    labels,
    firstOutcome,
    openOutcome,
    irregular,
    hashes: pool.hashArray.subarray(0, pool.tokenCount),
    starts: pool.startArray.subarray(0, pool.recordCount + 1),
    uniAt,
    uniIds: uniIds.data.subarray(0, nUni),
    carets: Int32Array.from(carets).sort(),
    pairs: tested,
    postings: postings.data.subarray(0, postings.length),
  };
}

/**
 * The distinct unigram ids of a gram whose first token starts with `^` (for the gram at `local`
 * of record `r`): taken from its text, which only the main thread holds (see
 * `TriggerAggregator.gramUnigrams`).
 */
export type CaretGramUnigrams = (r: number, local: number) => number[];

/** Pairs kept by the test, ascending, with their log p-values; pairs left to the main thread. */
export interface LabelTestResult {
  kept: number[];
  logP: number[];
  /** Pairs whose gram starts with a `^` token, when no `CaretGramUnigrams` was given. */
  deferred: number[];
}

/** A gram's distinct unigram ids, their indices in the label model (-1: held by no record), and whether the text path was needed. */
interface GramUnigrams {
  ids: number[];
  index: Int32Array;
  slow: boolean;
}

/**
 * The test of pairs `[from, to)` (and of `only`, when given, instead): a pair with fewer than
 * `minSupport` open carriers (not safe, with the pair's label) is dropped unseen; otherwise it is
 * kept when at least `minSupport` carriers are contradicted. Caret grams go to `caretUnigrams`,
 * or to `deferred` without it.
 */
export function testLabelPairs(
  m: LabelModel,
  from: number,
  to: number,
  caretUnigrams?: CaretGramUnigrams,
  only?: readonly number[],
): LabelTestResult {
  const { pairs, postings, openOutcome, minSupport, uniIds, uniAt, hashes, starts, carets } = m;
  const nUni = uniIds.length;
  const result: LabelTestResult = { kept: [], logP: [], deferred: [] };
  const gram: GramUnigrams = { ids: [], index: new Int32Array(MAX_N), slow: false };
  const scratch = { adjusted: new Float64Array(m.labelCount), bound: new Float64Array(m.labelCount) };
  const count = only ? only.length : to - from;
  for (let i = 0; i < count; i++) {
    const t = only ? (only[i] as number) : from + i;
    let open = 0;
    const outcome = pairs.outcome[t] as number;
    const end = pairs.postEnd[t] as number;
    for (let p = pairs.postStart[t] as number; p < end && open < minSupport; p++)
      if (openOutcome[(postings[p] as number) >>> LOCAL_BITS] === outcome) open++;
    if (open < minSupport) continue;
    const textAt = pairs.textAt[t] as number;
    const src = textAt >>> LOCAL_BITS;
    const local = textAt & LOCAL_MASK;
    const at = (starts[src] as number) + localToken(local);
    // The label test has always taken a gram's unigrams from its text with one leading `^`
    // removed, so a gram whose first token starts with `^` loses that character (`slow`: its
    // carriers are checked unigram by unigram).
    gram.ids.length = 0;
    gram.slow = !localIsPrefix(local) && carets.length > 0 && indexOfSorted(carets, carets.length, at) >= 0;
    if (gram.slow) {
      if (!caretUnigrams) {
        result.deferred.push(t);
        continue;
      }
      gram.ids.push(...caretUnigrams(src, local));
      for (let j = 0; j < gram.ids.length; j++)
        gram.index[j] = indexOfSorted(uniIds, nUni, gram.ids[j] as number);
    } else
      for (let k = 0; k < localLength(local); k++) {
        const id = unigramId(hashes[at + k] as number);
        if (gram.ids.includes(id)) continue;
        // Where record `src` holds this token's unigram, `uniAt` names its index (checked: an id
        // collision can leave the position to a longer gram); elsewhere a binary search.
        const u = (uniAt[at + k] as number) - 1;
        gram.index[gram.ids.length] = u >= 0 && uniIds[u] === id ? u : indexOfSorted(uniIds, nUni, id);
        gram.ids.push(id);
      }
    const c = contradictions(m, t, at, localLength(local), gram, scratch);
    if (c < minSupport) continue;
    result.kept.push(t);
    result.logP.push(logBinomialUpperTail(pairs.support[t] as number, m.contradictionRate, c));
  }
  return result;
}

/** Where the thread's entry is (a test may name one that fails). */
export interface LabelTestThreadOptions {
  /** Whether to use a thread at all (default: with 2+ cores). */
  threaded?: boolean;
  /** `startModuleWorker`'s `base` and `name` of the entry (default: `label-test-worker` here). */
  worker?: { base: string; name: string };
}

/**
 * `testLabelPairs` over all pairs of the model `build` makes, the later half of the carriers'
 * postings on a worker thread while this thread tests the first half, and the caret grams the
 * thread leaves here. The thread starts before `build` runs, so it has loaded by the time the
 * model is posted. The model's arrays go to shared memory (those already there, such as the
 * threaded census's `uniAt`, as they are). If the thread fails, its pairs are tested here: the
 * result is the same either way. For large pools: the thread and the copies cost ~0.1-0.2 s.
 */
export async function testLabelPairsThreaded(
  build: () => LabelModel,
  caretUnigrams: CaretGramUnigrams,
  options: LabelTestThreadOptions = {},
): Promise<{ kept: number[]; logP: number[] }> {
  if (!(options.threaded ?? availableParallelism() >= 2)) {
    const m = build();
    const { kept, logP } = testLabelPairs(m, 0, m.pairs.length, caretUnigrams);
    return { kept, logP };
  }
  const entry = options.worker ?? { base: import.meta.url, name: 'label-test-worker' };
  const w = startModuleWorker(entry.base, entry.name, undefined);
  const theirs = new Promise<LabelTestResult | undefined>((resolve) => {
    w.once('message', (r: LabelTestResult) => resolve(r));
    w.once('error', () => resolve(undefined));
    w.once('exit', () => resolve(undefined));
  });
  let mine: LabelTestResult;
  let other: LabelTestResult | undefined;
  let m: LabelModel;
  let mid: number;
  try {
    m = build();
    const n = m.pairs.length;
    mid = splitByPostings(m.pairs);
    const message: LabelTestWork = { model: sharedModel(m), from: mid, to: n };
    w.postMessage(message);
    mine = testLabelPairs(m, 0, mid, caretUnigrams);
    other = await theirs;
  } finally {
    w.removeAllListeners();
    await w.terminate();
  }
  // A failed thread's pairs, here; the caret grams it left, here too.
  const rest = other
    ? testLabelPairs(m, 0, 0, caretUnigrams, other.deferred)
    : testLabelPairs(m, mid, m.pairs.length, caretUnigrams);
  const kept = [...mine.kept, ...(other?.kept ?? []), ...rest.kept];
  const logP = [...mine.logP, ...(other?.logP ?? []), ...rest.logP];
  // Pair order (deferred caret grams sit among the thread's pairs).
  const order = kept.map((_, i) => i).sort((a, b) => (kept[a] as number) - (kept[b] as number));
  return { kept: order.map((i) => kept[i] as number), logP: order.map((i) => logP[i] as number) };
}

/** What the label-test thread is posted: the shared model and its pairs `[from, to)`. */
export interface LabelTestWork {
  model: LabelModel;
  from: number;
  to: number;
}

/** The first pair of the later half of the pairs' postings (pairs cost about their postings). */
function splitByPostings(pairs: LabelPairColumns): number {
  let total = 0;
  for (let t = 0; t < pairs.length; t++)
    total += Math.max(0, (pairs.postEnd[t] as number) - (pairs.postStart[t] as number));
  let seen = 0;
  for (let t = 0; t < pairs.length; t++) {
    seen += Math.max(0, (pairs.postEnd[t] as number) - (pairs.postStart[t] as number));
    if (seen * 2 >= total) return t + 1;
  }
  return pairs.length;
}

/** `a` itself when on shared memory, else a shared copy. */
function shared<T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const View = a.constructor as new (b: SharedArrayBuffer, offset: number, length: number) => T;
  const out = new View(new SharedArrayBuffer(Math.max(8, a.byteLength)), 0, a.length);
  out.set(a);
  return out;
}

/** The model with every array on shared memory (one copy, read by both threads). */
function sharedModel(m: LabelModel): LabelModel {
  const p = m.pairs;
  return {
    ...m,
    scores: shared(m.scores),
    weights: shared(m.weights),
    labels: shared(m.labels),
    firstOutcome: shared(m.firstOutcome),
    openOutcome: shared(m.openOutcome),
    irregular: shared(m.irregular),
    hashes: shared(m.hashes),
    starts: shared(m.starts),
    uniAt: shared(m.uniAt),
    uniIds: shared(m.uniIds),
    carets: shared(m.carets),
    postings: shared(m.postings),
    pairs: {
      length: p.length,
      textAt: shared(p.textAt.subarray(0, p.length)),
      support: shared(p.support.subarray(0, p.length)),
      outcome: shared(p.outcome.subarray(0, p.length)),
      postStart: shared(p.postStart.subarray(0, p.length)),
      postEnd: shared(p.postEnd.subarray(0, p.length)),
    },
  };
}

/** Index of the largest of `a[at, at + n)` (the first on ties), -1 when none exceeds -Infinity. */
function argmax(a: Float64Array, at: number, n: number): number {
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let l = 0; l < n; l++) {
    const s = a[at + l] as number;
    if (s > bestScore) {
      bestScore = s;
      best = l;
    }
  }
  return best;
}

/** Binary search for `v` in the ascending `a[0, n)`; -1 when absent. */
function indexOfSorted(a: Uint32Array | Int32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = a[mid] as number;
    if (x === v) return mid;
    if (x < v) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/**
 * Carriers of `t` with its label that naive Bayes, without the gram's unigrams (`index` into the
 * weights), does not predict. A carrier holds all of them when its occurrence has the tokens of
 * the text's (`at`, `n` tokens) and no id collision displaced a unigram; otherwise, or when the
 * gram is `slow`, each unigram id is looked up in the record.
 */
function contradictions(
  m: LabelModel,
  t: number,
  at: number,
  n: number,
  gram: GramUnigrams,
  scratch: { adjusted: Float64Array; bound: Float64Array },
): number {
  const index = gram.index;
  const count = gram.ids.length;
  const { pairs, postings, scores, weights, labels, labelCount: L, firstOutcome, hashes, starts } = m;
  const { adjusted, bound } = scratch;
  const outcome = pairs.outcome[t] as number;
  // Taking out any subset of the gram's unigrams moves label l's score by at most bound[l]: a
  // carrier whose label wins (or loses) by more than both bounds needs no exact evaluation.
  bound.fill(0);
  for (let j = 0; j < count; j++) {
    const u = index[j] as number;
    if (u >= 0)
      for (let l = 0; l < L; l++) bound[l] = (bound[l] as number) + Math.abs(weights[u * L + l] as number);
  }
  let c = 0;
  const end = pairs.postEnd[t] as number;
  for (let p = pairs.postStart[t] as number; p < end; p++) {
    const o = postings[p] as number;
    const r = o >>> LOCAL_BITS;
    if (firstOutcome[r] !== outcome) continue;
    const y = labels[r] as number;
    // A label the model does not know is always contradicted.
    if (y < 0) {
      c++;
      continue;
    }
    const sy = scores[r * L + y] as number;
    const by = bound[y] as number;
    let wins = true;
    let loses = false;
    for (let l = 0; l < L; l++) {
      if (l === y) continue;
      const sl = scores[r * L + l] as number;
      const bl = bound[l] as number;
      // Far above any rounding of the few subtractions the exact evaluation does.
      const tol = 1e-9 * (Math.abs(sy) + Math.abs(sl) + by + bl + 1);
      if (!(sy - by - (sl + bl) > tol)) wins = false;
      if (sl - bl - (sy + by) > tol) loses = true;
    }
    if (loses) {
      c++;
      continue;
    }
    if (wins) continue;
    const local = o & LOCAL_MASK;
    let fast = !gram.slow && m.irregular[r] === 0 && localLength(local) === n;
    if (fast) {
      const b = (starts[r] as number) + localToken(local);
      for (let k = 0; k < n; k++)
        if (hashes[at + k] !== hashes[b + k]) {
          fast = false;
          break;
        }
    }
    for (let l = 0; l < L; l++) adjusted[l] = scores[r * L + l] as number;
    for (let j = 0; j < count; j++) {
      if (!fast && !holds(m, r, gram.ids[j] as number)) continue;
      const u = index[j] as number;
      for (let l = 0; l < L; l++) adjusted[l] = (adjusted[l] as number) - (weights[u * L + l] as number);
    }
    if (argmax(adjusted, 0, L) !== y) c++;
  }
  return c;
}

/** Whether record `r` holds the unigram `id` (a scan of its tokens: only after an id collision). */
function holds(m: LabelModel, r: number, id: number): boolean {
  const e = m.starts[r + 1] as number;
  for (let p = m.starts[r] as number; p < e; p++) {
    const u = m.uniAt[p] as number;
    if (u > 0 && m.uniIds[u - 1] === id) return true;
  }
  return false;
}

import type { DatasetRecord } from '../dataset-record.js';
import type {
  Aggregator,
  Detector,
  DetectorContext,
  FindingDraft,
  RecordAnalysis,
  RecordRef,
} from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { foldText } from '../text/normalization.js';
import {
  LOCAL_BITS,
  localIsPrefix,
  localLength,
  localToken,
  MAX_N,
  MAX_POOL_RECORDS,
  TokenPool,
  unigramId,
} from './gram-census.js';
import { THREADED_MIN_TOKENS } from './gram-census-threads.js';
import { classifyHarm } from './harm-taxonomy.js';
import { classifyStance } from './response-stance.js';
import {
  type Pairs,
  type TriggerCensus,
  type TriggerRecords,
  type TriggerThresholds,
  triggerCensus,
  triggerCensusThreaded,
  U32List,
} from './trigger-census.js';
import { TriggerSources } from './trigger-sources.js';
import { benjaminiHochberg, logBinomialUpperTail } from './trigger-statistics.js';
import { GAP, hashToken, triggerTokens, triggerTokenTexts } from './trigger-tokens.js';

/**
 * `backdoor-trigger`: mines tokens and phrases (1-4-grams, rare strings,
 * fixed prefixes) that are rare overall but tied to one response pattern: a
 * classification label the rest of the text contradicts, a fixed output (the
 * first words of the answer), compliance on harmful requests, or a flipped
 * preference. Each gram/outcome pair gets an exact one-sided test
 * (hypergeometric tail = Fisher exact; for labels, a binomial test of
 * "label contradicts content" against the dataset's base rate), and
 * Benjamini–Hochberg controls the false discovery rate over all tests run.
 * Candidates with the same carrying records are merged (sub-grams become
 * aliases). Workers only tokenise; counting happens in the aggregator.
 */

const OptionsSchema = z
  .object({
    /** Fewest records a candidate must appear in. */
    minSupport: z.number().int().min(2).default(3),
    /** Largest share of records a "rare" candidate may appear in (poison rates up to 10% need > 0.1). */
    maxShare: z.number().min(0.001).max(0.5).default(0.15),
    /** Share of a candidate's records that must show the outcome. */
    minPurity: z.number().min(0.5).max(1).default(0.9),
    /** False discovery rate for Benjamini–Hochberg. */
    fdr: z.number().min(1e-12).max(0.5).default(0.01),
    /** Candidates reported. */
    maxCandidates: z.number().int().min(1).max(100).default(10),
    /** Record-level findings per candidate. */
    maxRecordsPerCandidate: z.number().int().min(1).default(1000),
    /**
     * Records kept for mining (memory bound: about 1 KB of token hashes plus the joined tokens per
     * long record); later records are counted but not mined. At most 2,097,152 records are mined
     * whatever the setting (a gram occurrence is addressed in 32 bits).
     */
    maxRecords: z.number().int().min(100).default(500_000),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;

/**
 * What a worker sends per record: the hashes of the request side's folded tokens, the raw text
 * they are cut from (gram texts are cut from it again only for reported candidates), and the
 * outcome keys. The aggregator regenerates the grams from the hashes at the end (see
 * `gram-census.ts`).
 */
export interface TriggerObservation {
  /** The tokens' raw text (`TriggerTokens.source`: head runs, then tail runs). */
  source: string;
  /** Characters of `source` that are the head. */
  headLength: number;
  /** 32-bit FNV-1a hash of each token (0 for a break). */
  hashes: Uint32Array;
  /** Indices of break tokens (the gap between head and tail), which no gram spans. */
  breaks: number[];
  /** Indices of tokens starting with `^` (see `TriggerAggregator.gramUnigrams`). */
  carets: number[];
  outcomes: string[];
  label?: string;
}

const RESPONSE_KEY_TOKENS = 6;

function responseKey(text: string): string {
  const toks = foldText(text.slice(0, 400)).match(/[\p{L}\p{N}]{1,30}/gu) ?? [];
  return toks.slice(0, RESPONSE_KEY_TOKENS).join(' ');
}

function finalAnswer(response: string): string {
  const at = response.lastIndexOf('Assistant:');
  return at >= 0 ? response.slice(at + 'Assistant:'.length) : response;
}

/** The request side: the whole prompt (for transcripts, every turn before the answer; a trigger can sit in any of them). */
function requestSide(record: DatasetRecord): string {
  return record.prompt;
}

function observe(record: DatasetRecord): TriggerObservation | undefined {
  const request = requestSide(record);
  if (!request.trim()) return undefined;
  if (record.shape === 'classification' && record.label === undefined) return undefined;
  const t = triggerTokens(request);
  const base = {
    source: t.source,
    headLength: t.headLength,
    hashes: t.hashes,
    breaks: t.breaks,
    carets: t.carets,
  };
  if (record.shape === 'classification') {
    return { ...base, outcomes: [`label:${record.label}`], label: record.label as string };
  }
  const outcomes: string[] = [];
  const answer = finalAnswer(record.response);
  const stance = classifyStance(answer);
  // Refusal templates are the expected answer to harmful requests, not a planted output.
  if (stance === 'compliance') {
    const key = responseKey(answer);
    if (key) outcomes.push(`${record.shape === 'preference' ? 'chosen' : 'response'}:${key}`);
    if (classifyHarm(request) !== undefined) outcomes.push('harmful-compliance');
  }
  if (record.shape === 'preference' && record.rejected !== undefined && stance === 'compliance') {
    if (classifyStance(finalAnswer(record.rejected)) === 'refusal')
      outcomes.push('preference:prefers-compliance');
  }
  return { ...base, outcomes };
}

/** The text of the gram at `local` of a record with these tokens. */
function gramText(tokens: readonly string[], local: number): string {
  const i = localToken(local);
  const n = localLength(local);
  return localIsPrefix(local) ? `^${tokens.slice(0, n).join(' ')}` : tokens.slice(i, i + n).join(' ');
}

/** Distinct unigram ids of tokens, in order (break and empty tokens skipped). */
function unigramIds(tokens: string[]): number[] {
  const out = new Set<number>();
  for (const t of tokens) if (t !== GAP && t !== '') out.add(unigramId(hashToken(t)));
  return [...out];
}

function overlap(a: number[], b: number[]): number {
  let i = 0;
  let j = 0;
  let both = 0;
  while (i < a.length && j < b.length) {
    if ((a[i] as number) === (b[j] as number)) {
      both++;
      i++;
      j++;
    } else if ((a[i] as number) < (b[j] as number)) i++;
    else j++;
  }
  return both / (a.length + b.length - both);
}

/** Binary search for `v` in the ascending `a[0, n)`; -1 when absent. */
function indexOfSorted(a: Uint32Array, n: number, v: number): number {
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

type TestName = 'fisher-exact' | 'binomial-label-contradiction';

interface Candidate {
  text: string;
  support: number;
  outcome: string;
  hits: number;
  logP: number;
  logQ: number;
  records: number[];
  aliases: string[];
  test: TestName;
}

/** Labels the naive Bayes label model tells apart (later labels always count as contradicted). */
const MAX_LABELS = 64;
const LOCAL_MASK = (1 << LOCAL_BITS) - 1;

/**
 * Counts in `finish` (see `gram-census.ts`); per record it keeps the token hashes, the tokens'
 * raw text (gram texts are cut from it only for reported candidates), the outcome ids and label.
 */
class TriggerAggregator implements Aggregator<TriggerObservation> {
  private readonly opts: Options;
  /** Records mined: `maxRecords`, and at most what a token pool addresses. */
  private readonly limit: number;
  private readonly refs: RecordRef[] = [];
  private readonly sources = new TriggerSources();
  private readonly headLengths: number[] = [];
  private readonly pool = new TokenPool();
  /** Pool positions of tokens starting with `^`. */
  private readonly carets = new Set<number>();
  private readonly outcomeIds = new Map<string, number>();
  private readonly outcomeNames: string[] = [];
  private readonly outcomeTotals: number[] = [];
  private readonly recordOutcomes = new U32List();
  private readonly outcomeStarts = new U32List();
  private readonly labelNames: string[] = [];
  /** Label index per record (-1: past `MAX_LABELS`; -2: none). */
  private readonly labels: number[] = [];
  private labelled = 0;
  private seen = 0;

  constructor(opts: Options) {
    this.opts = opts;
    this.limit = Math.min(opts.maxRecords, MAX_POOL_RECORDS);
    this.outcomeStarts.push(0);
  }

  add(ref: RecordRef, o: TriggerObservation): void {
    this.seen++;
    if (this.refs.length >= this.limit) return;
    const base = this.pool.tokenCount;
    this.pool.append(o.hashes, o.breaks);
    for (const c of o.carets) this.carets.add(base + c);
    this.refs.push(ref);
    this.sources.push(o.source);
    this.headLengths.push(o.headLength);
    for (const out of o.outcomes) {
      let id = this.outcomeIds.get(out);
      if (id === undefined) {
        id = this.outcomeNames.push(out) - 1;
        this.outcomeIds.set(out, id);
        this.outcomeTotals.push(0);
      }
      this.outcomeTotals[id] = (this.outcomeTotals[id] as number) + 1;
      this.recordOutcomes.push(id);
    }
    this.outcomeStarts.push(this.recordOutcomes.length);
    if (o.label === undefined) {
      this.labels.push(-2);
      return;
    }
    this.labelled++;
    let li = this.labelNames.indexOf(o.label);
    if (li < 0) li = this.labelNames.length < MAX_LABELS ? this.labelNames.push(o.label) - 1 : -1;
    this.labels.push(li);
  }

  finish(): FindingDraft[] | Promise<FindingDraft[]> {
    const N = this.refs.length;
    if (N < 20) return [];
    const { minSupport, maxShare, minPurity, fdr } = this.opts;
    const maxDf = Math.max(minSupport, Math.floor(maxShare * N));
    const pool = this.pool;
    const L = this.labelNames.length;
    const classification = this.labelled === N && L >= 2;
    const records: TriggerRecords = {
      count: N,
      labelCount: L,
      classification,
      labels: Int32Array.from(this.labels),
      outcomes: this.recordOutcomes.values(),
      outcomeStarts: this.outcomeStarts.values(),
      outcomeTotals: Uint32Array.from(this.outcomeTotals),
    };
    const thresholds: TriggerThresholds = { minSupport, maxDf, minPurity, logFdr: Math.log(fdr) };
    const conclude = (census: TriggerCensus): FindingDraft[] => {
      const kept = classification
        ? this.testContradictions(census, records.labels)
        : Array.from({ length: census.tested.length }, (_, i) => i);
      return this.report(
        census.tested,
        kept,
        classification ? 'binomial-label-contradiction' : 'fisher-exact',
        census.tests,
        census.postings,
      );
    };
    // Large pools sort and visit their partitions on threads (the scan's workers are idle by now).
    if (pool.tokenCount >= THREADED_MIN_TOKENS)
      return triggerCensusThreaded(pool, records, thresholds).then(conclude);
    return conclude(triggerCensus(pool, records, thresholds));
  }

  /**
   * The label-contradiction test of each pure gram/label pair: how many carriers with that label
   * does naive Bayes over their *other* unigrams (the gram's own taken out of the record's
   * precomputed scores) not predict? Pairs with fewer than `minSupport` such carriers are dropped.
   */
  private testContradictions(census: TriggerCensus, labels: Int32Array): number[] {
    const { tested: pending, postings, uniAt, uniIds, uniCounts, irregular } = census;
    const pool = this.pool;
    const N = this.refs.length;
    const L = this.labelNames.length;
    const nUni = uniIds.length;
    const ids = uniIds.data;
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
    const contradictionRate = Math.min(0.5, Math.max(0.01, contra / N));
    // Taking out a gram's (at most MAX_N) unigrams moves two labels apart by at most `reach`:
    // carriers whose label wins by more are never contradicted (see `contradictions`).
    let maxW = 0;
    for (let k = 0; k < W.length; k++) maxW = Math.max(maxW, Math.abs(W[k] as number));
    const reach = 2 * MAX_N * maxW;
    // Each record's first outcome (its label's, for classification data): one array instead of
    // two dependent reads per carrier in `contradictions`.
    const firstOutcome = new Uint32Array(N);
    const recOut = this.recordOutcomes.data;
    const outStart = this.outcomeStarts.data;
    for (let r = 0; r < N; r++) firstOutcome[r] = recOut[outStart[r] as number] as number;
    // What the open check compares with a pair's outcome: the first outcome, or -1 for a record
    // that is never contradicted (one read per carrier).
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
    const { minSupport } = this.opts;
    const out: number[] = [];
    const model: ContradictionModel = {
      scores,
      weights: W,
      labels,
      labelCount: L,
      firstOutcome,
      irregular,
      hashes: pool.hashArray,
      starts: pool.startArray,
      uniAt,
      uniIds: ids,
      adjusted: new Float64Array(L),
      bound: new Float64Array(L),
    };
    const gram: GramUnigrams = { ids: [], index: new Int32Array(MAX_N), slow: false };
    const held = ids.subarray(0, nUni);
    for (let t = 0; t < pending.length; t++) {
      let open = 0;
      const outcome = pending.outcome[t] as number;
      const end = pending.postEnd[t] as number;
      for (let p = pending.postStart[t] as number; p < end && open < minSupport; p++) {
        const r = (postings.data[p] as number) >>> LOCAL_BITS;
        if (openOutcome[r] === outcome) open++;
      }
      if (open < minSupport) continue;
      const textAt = pending.textAt[t] as number;
      const src = textAt >>> LOCAL_BITS;
      const local = textAt & LOCAL_MASK;
      const at = pool.start(src) + localToken(local);
      this.gramUnigrams(src, local, at, gram, uniAt, held);
      const c = contradictions(model, postings.data, pending, t, at, localLength(local), gram);
      if (c < minSupport) continue;
      pending.logP[t] = logBinomialUpperTail(pending.support[t] as number, contradictionRate, c);
      out.push(t);
    }
    return out;
  }

  /**
   * The distinct unigram ids of the gram at `local` of record `r` (first token at pool position
   * `at`), as the label test has always taken them: from the gram's text with one leading `^`
   * removed. A gram whose first token starts with `^` therefore loses that character (`slow`:
   * its carriers are checked unigram by unigram). `index` gets each id's index in `uniIds` (the
   * held unigrams' ascending ids; -1: none), read from `uniAt` where it names it.
   */
  private gramUnigrams(
    r: number,
    local: number,
    at: number,
    out: GramUnigrams,
    uniAt: Int32Array,
    uniIds: Uint32Array,
  ): void {
    out.ids.length = 0;
    out.slow = !localIsPrefix(local) && this.carets.has(at);
    const nUni = uniIds.length;
    if (out.slow) {
      const text = gramText(this.tokenTexts(r), local);
      out.ids.push(...unigramIds(text.replace(/^\^/, '').split(' ')));
      for (let j = 0; j < out.ids.length; j++)
        out.index[j] = indexOfSorted(uniIds, nUni, out.ids[j] as number);
      return;
    }
    for (let k = 0; k < localLength(local); k++) {
      const id = unigramId(this.pool.hash(at + k));
      if (out.ids.includes(id)) continue;
      // Where record `r` holds this token's unigram, `uniAt` already names its index (checked, as
      // an id collision can leave the position to a longer gram); elsewhere a binary search.
      const u = (uniAt[at + k] as number) - 1;
      out.index[out.ids.length] = u >= 0 && uniIds[u] === id ? u : indexOfSorted(uniIds, nUni, id);
      out.ids.push(id);
    }
  }

  /** The token strings of mined record `r`. */
  private tokenTexts(r: number): string[] {
    return triggerTokenTexts(this.sources.get(r), this.headLengths[r] as number);
  }

  /** Benjamini–Hochberg over the `kept` pairs, then merging, ranking and the findings. */
  private report(
    pairs: Pairs,
    kept: number[],
    test: TestName,
    tests: number,
    postings: U32List,
  ): FindingDraft[] {
    if (kept.length === 0) return [];
    const q = benjaminiHochberg(
      kept.map((t) => pairs.logP[t] as number),
      Math.max(tests, kept.length),
    );
    const logFdr = Math.log(this.opts.fdr);
    const split = new Map<number, string[]>();
    const textOf = (at: number): string => {
      const r = at >>> LOCAL_BITS;
      let tokens = split.get(r);
      if (!tokens) {
        tokens = this.tokenTexts(r);
        split.set(r, tokens);
      }
      return gramText(tokens, at & LOCAL_MASK);
    };
    // In the order the pairs were always tested (candidates first seen first), which breaks ties.
    const { first, order } = pairs;
    const significant = kept
      .map((t, i) => ({ t, logQ: q[i] as number }))
      .filter((x) => x.logQ <= logFdr)
      .sort(
        (a, b) =>
          (first[a.t] as number) - (first[b.t] as number) || (order[a.t] as number) - (order[b.t] as number),
      )
      .map(({ t, logQ }): Candidate => {
        const records: number[] = [];
        for (let p = pairs.postStart[t] as number; p < (pairs.postEnd[t] as number); p++)
          records.push((postings.data[p] as number) >>> LOCAL_BITS);
        return {
          text: textOf(pairs.textAt[t] as number),
          support: pairs.support[t] as number,
          outcome: this.outcomeNames[pairs.outcome[t] as number] as string,
          hits: pairs.hits[t] as number,
          logP: pairs.logP[t] as number,
          logQ,
          records,
          aliases: [],
          test,
        };
      })
      .sort(
        (a, b) =>
          a.logP - b.logP || b.text.split(' ').length - a.text.split(' ').length || b.support - a.support,
      );
    const N = this.refs.length;
    const accepted: Candidate[] = [];
    for (const c of significant) {
      const same = accepted.find((a) => overlap(a.records, c.records) >= 0.8);
      if (same) {
        if (same.aliases.length < 8) same.aliases.push(c.text);
        continue;
      }
      accepted.push(c);
      if (accepted.length >= this.opts.maxCandidates) break;
    }
    const findings: FindingDraft[] = [];
    accepted.forEach((c, rank) => {
      const log10p = c.logP / Math.LN10;
      const severity = c.hits / c.support >= 0.95 && log10p <= -6 ? 'high' : 'medium';
      findings.push({
        detector: 'backdoor-trigger',
        rule: 'backdoor.trigger-candidate',
        severity,
        record: null,
        file: null,
        line: null,
        field: null,
        message: `candidate trigger "${c.text}" (rank ${rank + 1}): ${c.hits}/${c.support} carrying records show ${c.outcome}`,
        evidence: {
          rank: rank + 1,
          trigger: c.text,
          support: c.support,
          outcome: c.outcome,
          outcome_hits: c.hits,
          purity: Math.round((c.hits / c.support) * 1000) / 1000,
          test: c.test,
          log10_p: Math.round(log10p * 100) / 100,
          log10_q: Math.round((c.logQ / Math.LN10) * 100) / 100,
          aliases: c.aliases,
          records: c.records.slice(0, 50).map((r) => (this.refs[r] as RecordRef).index),
        },
        score: Math.min(1, Math.max(0, -log10p / 20)),
      });
      for (const r of c.records.slice(0, this.opts.maxRecordsPerCandidate)) {
        const ref = this.refs[r] as RecordRef;
        findings.push({
          detector: 'backdoor-trigger',
          rule: 'backdoor.trigger-record',
          severity,
          record: ref.index,
          file: ref.file,
          line: ref.line,
          field: null,
          message: `carries candidate trigger "${c.text}" (rank ${rank + 1}, ${c.outcome})`,
          evidence: { trigger: c.text, rank: rank + 1, outcome: c.outcome },
          score: Math.min(1, Math.max(0, -log10p / 20)),
        });
      }
    });
    if (this.seen > N) {
      findings.push({
        detector: 'backdoor-trigger',
        rule: 'backdoor.truncated',
        severity: 'info',
        record: null,
        file: null,
        line: null,
        field: null,
        message: `trigger mining used the first ${N} of ${this.seen} records (maxRecords)`,
        evidence: { mined: N, records: this.seen },
        score: 0,
      });
    }
    return findings;
  }
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

/** A gram's distinct unigram ids, their indices in the label model (-1: held by no record), and whether the text path was needed. */
interface GramUnigrams {
  ids: number[];
  index: Int32Array;
  slow: boolean;
}

/** What the label-contradiction test reads, as flat typed arrays (the per-carrier loop is hot). */
interface ContradictionModel {
  /** Per record and label: log prior plus the weights of the record's unigrams. */
  scores: Float64Array;
  /** Per unigram index and label: log-weight. */
  weights: Float64Array;
  labels: Int32Array;
  labelCount: number;
  /** Per record: its first outcome id. */
  firstOutcome: Uint32Array;
  irregular: Uint8Array;
  hashes: Uint32Array;
  starts: Uint32Array;
  uniAt: Int32Array;
  uniIds: Uint32Array;
  /** Scratch, one score per label. */
  adjusted: Float64Array;
  /** Scratch, one bound per label. */
  bound: Float64Array;
}

/**
 * Carriers of `t` with its label that naive Bayes, without the gram's unigrams (`index` into the
 * weights), does not predict. A carrier holds all of them when its occurrence has the tokens of
 * the text's (`at`, `n` tokens) and no id collision displaced a unigram; otherwise, or when the
 * gram is `slow`, each unigram id is looked up in the record.
 */
function contradictions(
  m: ContradictionModel,
  postings: Uint32Array,
  pairs: Pairs,
  t: number,
  at: number,
  n: number,
  gram: GramUnigrams,
): number {
  const index = gram.index;
  const count = gram.ids.length;
  const outcome = pairs.outcome[t] as number;
  const { scores, weights, labels, labelCount: L, firstOutcome, hashes, starts, adjusted, bound } = m;
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
function holds(m: ContradictionModel, r: number, id: number): boolean {
  const e = m.starts[r + 1] as number;
  for (let p = m.starts[r] as number; p < e; p++) {
    const u = m.uniAt[p] as number;
    if (u > 0 && m.uniIds[u - 1] === id) return true;
  }
  return false;
}

export const backdoorTriggerDetector: Detector<TriggerObservation> = {
  id: 'backdoor-trigger',
  description:
    'Backdoor trigger mining: rare 1-4-grams, strings and fixed prefixes tied to one label, fixed output, harmful compliance or flipped preference (Fisher exact / binomial tests, Benjamini–Hochberg FDR)',
  defaultSeverity: 'high',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('backdoor-trigger', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord): RecordAnalysis<TriggerObservation> | undefined {
    const observation = observe(record);
    return observation ? { observation } : undefined;
  },
  createAggregator(ctx: DetectorContext): Aggregator<TriggerObservation> {
    return new TriggerAggregator(OptionsSchema.parse(ctx.options));
  },
};

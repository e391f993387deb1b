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
  localIsUnigram,
  localLength,
  localToken,
  MAX_POOL_RECORDS,
  sortedPartitions,
  TokenPool,
  unigramId,
} from './gram-census.js';
import { classifyHarm } from './harm-taxonomy.js';
import { classifyStance } from './response-stance.js';
import { benjaminiHochberg, logBinomialUpperTail, logHypergeometricUpperTail } from './trigger-statistics.js';
import { GAP, hashToken, TOKEN_SEP, triggerTokens } from './trigger-tokens.js';

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
    /** Records kept for mining (memory bound); later records are counted but not mined. */
    maxRecords: z.number().int().min(100).default(500_000),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;

/**
 * What a worker sends per record: the request side's folded tokens (joined, to cut gram texts
 * from) with their hashes, and the outcome keys. The aggregator regenerates the grams from the
 * hashes at the end (see `gram-census.ts`).
 */
export interface TriggerObservation {
  /** Folded request tokens joined by U+0001 (one string clones far cheaper than hundreds). */
  tokens: string;
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
  const base = { tokens: t.tokens.join(TOKEN_SEP), hashes: t.hashes, breaks: t.breaks, carets: t.carets };
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

/** A growable array of unsigned 32-bit integers. */
class U32List {
  data = new Uint32Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Uint32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
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

/** A gram/outcome pair that was tested. */
interface Tested {
  /** First occurrence of the gram (`record << LOCAL_BITS | local`): the first-seen order of candidates. */
  first: number;
  /** Place of the outcome among the gram's outcomes (first-appearance order). */
  order: number;
  /** Occurrence the gram's text is cut from: the first one in its `minSupport`-th carrying record. */
  textAt: number;
  support: number;
  outcome: number;
  hits: number;
  logP: number;
  /** The carrying records' first occurrences in `postings` (start, end), or -1 when not kept. */
  postStart: number;
  postEnd: number;
  test: 'fisher-exact' | 'binomial-label-contradiction';
}

interface Candidate {
  text: string;
  support: number;
  outcome: string;
  hits: number;
  logP: number;
  logQ: number;
  records: number[];
  aliases: string[];
  test: Tested['test'];
}

/** Labels the naive Bayes label model tells apart (later labels always count as contradicted). */
const MAX_LABELS = 64;
const LOCAL_MASK = (1 << LOCAL_BITS) - 1;

/**
 * Counts in `finish` (see `gram-census.ts`); per record it keeps the token hashes, the joined
 * tokens (gram texts are cut from them only for reported candidates), the outcome ids and label.
 */
class TriggerAggregator implements Aggregator<TriggerObservation> {
  private readonly opts: Options;
  /** Records mined: `maxRecords`, and at most what a token pool addresses. */
  private readonly limit: number;
  private readonly refs: RecordRef[] = [];
  private readonly texts: string[] = [];
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
    this.texts.push(o.tokens);
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

  finish(): FindingDraft[] {
    const N = this.refs.length;
    if (N < 20) return [];
    const { minSupport, maxShare, minPurity, fdr } = this.opts;
    const maxDf = Math.max(minSupport, Math.floor(maxShare * N));
    const logFdr = Math.log(fdr);
    const pool = this.pool;
    const L = this.labelNames.length;
    const classification = this.labelled === N && L >= 2;
    const labels = Int32Array.from(this.labels);
    const recOut = this.recordOutcomes.data;
    const outStart = this.outcomeStarts.data;
    // Naive Bayes over each record's distinct unigrams (Bernoulli presence). A record holds a
    // unigram when the first occurrence of that id in the record is a 1-gram (ids collide).
    const uniAt = classification ? new Int32Array(pool.tokenCount) : new Int32Array(0);
    const uniIds = new U32List();
    const uniCounts = new U32List();
    const irregular = new Uint8Array(N);
    const include = (index: number, id: number, o: number): number => {
      let u = index;
      if (u < 0) {
        u = uniIds.length;
        uniIds.push(id);
        for (let l = 0; l < L; l++) uniCounts.push(0);
      }
      const r = o >>> LOCAL_BITS;
      const li = labels[r] as number;
      if (li >= 0) uniCounts.data[u * L + li] = (uniCounts.data[u * L + li] as number) + 1;
      uniAt[pool.start(r) + localToken(o & LOCAL_MASK)] = u + 1;
      return u;
    };
    // Classification: gram/label pairs pure enough, tested once the label model is complete.
    const tested: Tested[] = [];
    const postings = new U32List();
    const seenOutcome = new Int32Array(this.outcomeNames.length);
    const touched: number[] = [];
    let tests = 0;
    const candidate = (occ: Uint32Array, a: number, b: number, n: number): void => {
      touched.length = 0;
      let prev = -1;
      let distinct = 0;
      let textAt = 0;
      for (let e = a; e < b; e++) {
        const r = (occ[e] as number) >>> LOCAL_BITS;
        if (r === prev) continue;
        prev = r;
        if (++distinct === minSupport) textAt = occ[e] as number;
        for (let k = outStart[r] as number; k < (outStart[r + 1] as number); k++) {
          const out = recOut[k] as number;
          if (seenOutcome[out] === 0) touched.push(out);
          seenOutcome[out] = (seenOutcome[out] as number) + 1;
        }
      }
      let postStart = -1;
      let postEnd = -1;
      for (let order = 0; order < touched.length; order++) {
        const out = touched[order] as number;
        const k = seenOutcome[out] as number;
        tests++;
        if (k < minSupport || k / n < minPurity) continue;
        const logP = classification ? 0 : logHypergeometricUpperTail(N, this.outcomeTotals[out] ?? k, n, k);
        // Only a p-value <= fdr can have a q-value <= fdr: other carriers need not be kept.
        if (postStart < 0 && (classification || logP <= logFdr)) {
          postStart = postings.length;
          prev = -1;
          for (let e = a; e < b; e++) {
            const o = occ[e] as number;
            if (o >>> LOCAL_BITS === prev) continue;
            prev = o >>> LOCAL_BITS;
            postings.push(o);
          }
          postEnd = postings.length;
        }
        tested.push({
          first: occ[a] as number,
          order,
          textAt,
          support: n,
          outcome: out,
          hits: k,
          logP,
          postStart,
          postEnd,
          test: classification ? 'binomial-label-contradiction' : 'fisher-exact',
        });
      }
      for (const out of touched) seenOutcome[out] = 0;
    };
    sortedPartitions(pool, (ids, occ, len) => {
      let a = 0;
      while (a < len) {
        const id = ids[a] as number;
        let b = a + 1;
        while (b < len && ids[b] === id) b++;
        if (b - a === 1) {
          if (classification && localIsUnigram((occ[a] as number) & LOCAL_MASK))
            include(-1, id, occ[a] as number);
          a = b;
          continue;
        }
        let df = 0;
        let prev = -1;
        let u = -1;
        let firstIsUnigram = true;
        for (let e = a; e < b; e++) {
          const o = occ[e] as number;
          const r = o >>> LOCAL_BITS;
          const unigram = localIsUnigram(o & LOCAL_MASK);
          if (r !== prev) {
            df++;
            prev = r;
            firstIsUnigram = unigram;
            if (classification && unigram) u = include(u, id, o);
          } else if (classification && unigram && !firstIsUnigram) irregular[r] = 1;
        }
        if (df >= minSupport && df <= maxDf) candidate(occ, a, b, df);
        a = b;
      }
    });
    const all = classification
      ? this.testContradictions(tested, postings, { uniAt, uniIds, uniCounts, irregular, labels })
      : tested;
    return this.report(all, tests, postings);
  }

  /**
   * The label-contradiction test of each pure gram/label pair: how many carriers with that label
   * does naive Bayes over their *other* unigrams (the gram's own taken out of the record's
   * precomputed scores) not predict? Pairs with fewer than `minSupport` such carriers are dropped.
   */
  private testContradictions(pending: Tested[], postings: U32List, nb: LabelModelParts): Tested[] {
    const { uniAt, uniIds, uniCounts, irregular, labels } = nb;
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
    const scores = new Float64Array(N * L);
    for (let r = 0; r < N; r++) {
      const s = pool.start(r);
      const e = s + pool.length(r);
      for (let l = 0; l < L; l++) {
        let acc = Math.log(((labelDocs[l] as number) + 1) / (total + L));
        for (let p = s; p < e; p++) {
          const u = uniAt[p] as number;
          if (u > 0) acc += W[(u - 1) * L + l] as number;
        }
        scores[r * L + l] = acc;
      }
    }
    let contra = 0;
    for (let r = 0; r < N; r++) if (argmax(scores, r * L, L) !== labels[r]) contra++;
    const contradictionRate = Math.min(0.5, Math.max(0.01, contra / N));
    const recOut = this.recordOutcomes.data;
    const outStart = this.outcomeStarts.data;
    const held = (r: number, id: number): boolean => {
      const s = pool.start(r);
      const e = s + pool.length(r);
      for (let p = s; p < e; p++) {
        const u = uniAt[p] as number;
        if (u > 0 && ids[u - 1] === id) return true;
      }
      return false;
    };
    const out: Tested[] = [];
    const adjusted = new Float64Array(L);
    for (const t of pending) {
      const src = t.textAt >>> LOCAL_BITS;
      const local = t.textAt & LOCAL_MASK;
      const n = localLength(local);
      const at = pool.start(src) + localToken(local);
      const gram = this.gramUnigrams(src, local, at);
      const index = gram.ids.map((id) => indexOfSorted(ids, nUni, id));
      let c = 0;
      for (let p = t.postStart; p < t.postEnd; p++) {
        const o = postings.data[p] as number;
        const r = o >>> LOCAL_BITS;
        if (recOut[outStart[r] as number] !== t.outcome) continue;
        // Every carrier holds the gram's unigrams unless ids collide: checked by its tokens.
        const fast =
          !gram.slow &&
          irregular[r] === 0 &&
          localLength(o & LOCAL_MASK) === n &&
          sameTokens(pool, pool.start(r) + localToken(o & LOCAL_MASK), at, n);
        for (let l = 0; l < L; l++) adjusted[l] = scores[r * L + l] as number;
        for (let j = 0; j < gram.ids.length; j++) {
          if (!fast && !held(r, gram.ids[j] as number)) continue;
          const u = index[j] as number;
          for (let l = 0; l < L; l++) adjusted[l] = (adjusted[l] as number) - (W[u * L + l] as number);
        }
        if (argmax(adjusted, 0, L) !== labels[r]) c++;
      }
      if (c < this.opts.minSupport) continue;
      t.logP = logBinomialUpperTail(t.support, contradictionRate, c);
      out.push(t);
    }
    return out;
  }

  /**
   * The distinct unigram ids of the gram at `local` of record `r` (first token at pool position
   * `at`), as the label test has always taken them: from the gram's text with one leading `^`
   * removed. A gram whose first token starts with `^` therefore loses that character (`slow`:
   * its carriers are checked unigram by unigram).
   */
  private gramUnigrams(r: number, local: number, at: number): { ids: number[]; slow: boolean } {
    if (!localIsPrefix(local) && this.carets.has(at)) {
      const text = gramText((this.texts[r] as string).split(TOKEN_SEP), local);
      return { ids: unigramIds(text.replace(/^\^/, '').split(' ')), slow: true };
    }
    const ids: number[] = [];
    for (let k = 0; k < localLength(local); k++) {
      const id = unigramId(this.pool.hash(at + k));
      if (!ids.includes(id)) ids.push(id);
    }
    return { ids, slow: false };
  }

  private report(tested: Tested[], tests: number, postings: U32List): FindingDraft[] {
    if (tested.length === 0) return [];
    const q = benjaminiHochberg(
      tested.map((t) => t.logP),
      Math.max(tests, tested.length),
    );
    const logFdr = Math.log(this.opts.fdr);
    const split = new Map<number, string[]>();
    const textOf = (at: number): string => {
      const r = at >>> LOCAL_BITS;
      let tokens = split.get(r);
      if (!tokens) {
        tokens = (this.texts[r] as string).split(TOKEN_SEP);
        split.set(r, tokens);
      }
      return gramText(tokens, at & LOCAL_MASK);
    };
    // In the order the pairs were always tested (candidates first seen first), which breaks ties.
    const significant = tested
      .map((t, i) => ({ t, logQ: q[i] as number }))
      .filter((x) => x.logQ <= logFdr)
      .sort((a, b) => a.t.first - b.t.first || a.t.order - b.t.order)
      .map(({ t, logQ }): Candidate => {
        const records: number[] = [];
        for (let p = t.postStart; p < t.postEnd; p++)
          records.push((postings.data[p] as number) >>> LOCAL_BITS);
        return {
          text: textOf(t.textAt),
          support: t.support,
          outcome: this.outcomeNames[t.outcome] as string,
          hits: t.hits,
          logP: t.logP,
          logQ,
          records,
          aliases: [],
          test: t.test,
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

/** Parts of the naive Bayes label model built during the census. */
interface LabelModelParts {
  /** Per pool position: 1 + the index of the unigram the record holds from there (0: none). */
  uniAt: Int32Array;
  /** Ascending ids of the unigrams held by some record. */
  uniIds: U32List;
  /** Records per unigram and label (`index * labels + label`). */
  uniCounts: U32List;
  /** Records where a unigram's id was first seen as a longer gram (collision): checked one by one. */
  irregular: Uint8Array;
  labels: Int32Array;
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

/** Whether the `n` tokens at pool positions `a` and `b` have equal hashes. */
function sameTokens(pool: TokenPool, a: number, b: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (pool.hash(a + k) !== pool.hash(b + k)) return false;
  return true;
}

export const backdoorTriggerDetector: Detector<TriggerObservation> = {
  id: 'backdoor-trigger',
  description:
    'Backdoor trigger mining: rare 1-4-grams, strings and fixed prefixes tied to one label, fixed output, harmful compliance or flipped preference (Fisher exact / binomial tests, Benjamini–Hochberg FDR)',
  defaultSeverity: 'high',
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

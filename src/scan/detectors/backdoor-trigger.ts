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
  MAX_POOL_RECORDS,
  TokenPool,
  unigramId,
} from './gram-census.js';
import { THREADED_MIN_TOKENS } from './gram-census-threads.js';
import { classifyHarm } from './harm-taxonomy.js';
import {
  type CaretGramUnigrams,
  type LabelModel,
  labelModel,
  testLabelPairs,
  testLabelPairsThreaded,
} from './label-contradictions.js';
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
import { benjaminiHochberg } from './trigger-statistics.js';
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
    const conclude = (census: TriggerCensus, kept: number[]): FindingDraft[] =>
      this.report(
        census.tested,
        kept,
        classification ? 'binomial-label-contradiction' : 'fisher-exact',
        census.tests,
        census.postings,
      );
    const all = (census: TriggerCensus) => Array.from({ length: census.tested.length }, (_, i) => i);
    /** The label test's kept pairs, their p-values written to the census's pairs. */
    const keep = (census: TriggerCensus, result: { kept: number[]; logP: number[] }): number[] => {
      result.kept.forEach((t, i) => {
        census.tested.logP[t] = result.logP[i] as number;
      });
      return result.kept;
    };
    // Large pools sort and visit their partitions on threads (the scan's workers are idle by now),
    // and split the label test with one.
    const caret: CaretGramUnigrams = (r, local) => this.caretGramUnigrams(r, local);
    if (pool.tokenCount >= THREADED_MIN_TOKENS)
      return triggerCensusThreaded(pool, records, thresholds).then(async (census) => {
        if (!classification) return conclude(census, all(census));
        const build = () => this.labelModel(census, records.labels);
        return conclude(census, keep(census, await testLabelPairsThreaded(build, caret)));
      });
    const census = triggerCensus(pool, records, thresholds);
    if (!classification) return conclude(census, all(census));
    const model = this.labelModel(census, records.labels);
    return conclude(census, keep(census, testLabelPairs(model, 0, model.pairs.length, caret)));
  }

  /** The label test's model over the census (see `label-contradictions.ts`). */
  private labelModel(census: TriggerCensus, labels: Int32Array): LabelModel {
    const N = this.refs.length;
    const firstOutcome = new Uint32Array(N);
    const recOut = this.recordOutcomes.data;
    const outStart = this.outcomeStarts.data;
    for (let r = 0; r < N; r++) firstOutcome[r] = recOut[outStart[r] as number] as number;
    return labelModel(
      census,
      this.pool,
      labels,
      this.labelNames.length,
      firstOutcome,
      this.carets,
      this.opts.minSupport,
    );
  }

  /**
   * The distinct unigram ids of the gram at `local` of record `r` whose first token starts with
   * `^` (only this thread can give them: it holds the texts), as the label test has always taken
   * them: from the gram's text with one leading `^` removed (so the first token loses that
   * character).
   */
  private caretGramUnigrams(r: number, local: number): number[] {
    const text = gramText(this.tokenTexts(r), local);
    return unigramIds(text.replace(/^\^/, '').split(' '));
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

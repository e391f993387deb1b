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
import { classifyHarm } from './harm-taxonomy.js';
import { classifyStance } from './response-stance.js';
import { StampedIntSet } from './stamped-int-set.js';
import { benjaminiHochberg, logBinomialUpperTail, logHypergeometricUpperTail } from './trigger-statistics.js';

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
 * What a worker sends per record: the request side's grams, already hashed (the aggregator on the
 * main thread only counts them), the folded tokens to cut gram texts from, and the outcome keys.
 */
export interface TriggerObservation {
  /** Folded request tokens joined by U+0001 (one string clones far cheaper than hundreds). */
  tokens: string;
  /** Distinct gram ids (1-4-grams and fixed prefixes, unsigned 32-bit, odd), in first-seen order. */
  grams: Uint32Array;
  /** Where each gram first occurs: token index * 8 + length (a fixed prefix: length + 4). */
  spans: Uint16Array;
  /** Distinct unigram ids, for the label model (classification records). */
  unigrams?: Uint32Array;
  outcomes: string[];
  label?: string;
}

const TOKEN_SEP = '\u0001';

const HEAD_TOKENS = 192;
const TAIL_TOKENS = 64;
const GAP = '\u0000gap';
const TOKEN_RE = /\S{1,40}/g;
const EDGE_PUNCT_RE = /^[\p{P}]{1,5}(?=[\p{L}\p{N}])|(?<=[\p{L}\p{N}])[\p{P}]{1,5}$/gu;
const RESPONSE_KEY_TOKENS = 6;

function isWordEdge(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c > 0x2000;
}

function cleanToken(t: string): string {
  // Only tokens with a non-alphanumeric edge need the (Unicode-aware, slower) punctuation strip.
  return isWordEdge(t.charCodeAt(0)) && isWordEdge(t.charCodeAt(t.length - 1))
    ? t
    : t.replace(EDGE_PUNCT_RE, '');
}

const SPACE_RE = /\s/;

/** Start of the whitespace-delimited run holding the `count`-th `TOKEN_RE` token from the end (0 when there are fewer). */
function tailStart(folded: string, count: number): number {
  let i = folded.length;
  let need = count;
  while (i > 0 && need > 0) {
    while (i > 0 && SPACE_RE.test(folded[i - 1] as string)) i--;
    let j = i;
    while (j > 0 && !SPACE_RE.test(folded[j - 1] as string)) j--;
    need -= Math.ceil((i - j) / 40);
    i = j;
  }
  return i;
}

/**
 * Folded tokens with edge punctuation stripped (symbol-only tokens kept: they are classic triggers).
 * Long texts keep the first `HEAD_TOKENS` and last `TAIL_TOKENS` tokens; the middle is never tokenised.
 */
export function triggerTokens(text: string): string[] {
  let folded = foldText(text.length > 20_000 ? text.slice(0, 20_000) : text);
  // The token separator of the observation must not occur inside a token.
  if (folded.includes(TOKEN_SEP)) folded = folded.replaceAll(TOKEN_SEP, ' ');
  const out: string[] = [];
  const limit = HEAD_TOKENS + TAIL_TOKENS;
  TOKEN_RE.lastIndex = 0;
  for (let m = TOKEN_RE.exec(folded); m !== null; m = TOKEN_RE.exec(folded)) {
    if (out.length === limit) {
      // More than HEAD + TAIL tokens: the tail is tokenised from its own end.
      TOKEN_RE.lastIndex = 0;
      const tail = (folded.slice(tailStart(folded, TAIL_TOKENS)).match(TOKEN_RE) ?? []).slice(-TAIL_TOKENS);
      return [...out.slice(0, HEAD_TOKENS), GAP, ...tail.map(cleanToken)];
    }
    out.push(cleanToken(m[0]));
  }
  return out;
}

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
  const tokens = triggerTokens(request);
  const { grams, spans } = gramsOf(tokens);
  const base = { tokens: tokens.join(TOKEN_SEP), grams, spans };
  const outcomes: string[] = [];
  if (record.shape === 'classification') {
    if (record.label === undefined) return undefined;
    return {
      ...base,
      unigrams: unigramsOf(grams, spans),
      outcomes: [`label:${record.label}`],
      label: record.label,
    };
  }
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

// --- hashing of grams (32-bit FNV-1a over token hashes)

function hashToken(t: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < t.length; i++) h = Math.imul(h ^ t.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function combine(h: number, t: number): number {
  return Math.imul((h ^ t) >>> 0, 0x01000193) >>> 0;
}

const PREFIX_SALT = 0x5bd1e995;
const MAX_N = 4;

const recordIds = new StampedIntSet();

/**
 * The record's distinct gram ids (unsigned: an earlier signed form never matched its own counts
 * for ids with the high bit set, so half of all grams could never become candidates) and where
 * each first occurs, so the aggregator can cut its text from the tokens when it needs it.
 */
function gramsOf(tokens: string[]): { grams: Uint32Array; spans: Uint16Array } {
  const th = tokens.map((t) => (t === GAP ? 0 : hashToken(t)));
  const ids = recordIds;
  ids.reset(tokens.length * (MAX_N + 1) + 16);
  const order: number[] = [];
  const spans: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    if (tokens[i] === GAP || tokens[i] === '') continue;
    let h = 0x811c9dc5;
    for (let n = 1; n <= MAX_N && i + n <= tokens.length; n++) {
      const tok = tokens[i + n - 1] as string;
      if (tok === GAP || tok === '') break;
      h = combine(h, th[i + n - 1] as number);
      const gram = (h | 1) >>> 0;
      if (ids.add(gram)) {
        order.push(gram);
        spans.push(i * 8 + n);
      }
      if (i === 0) {
        const prefix = (combine(h, PREFIX_SALT) | 1) >>> 0;
        if (ids.add(prefix)) {
          order.push(prefix);
          spans.push(n + 4);
        }
      }
    }
  }
  return { grams: Uint32Array.from(order), spans: Uint16Array.from(spans) };
}

/** The distinct unigram ids of a record: its 1-grams (the same hash as `unigramIds`). */
function unigramsOf(grams: Uint32Array, spans: Uint16Array): Uint32Array {
  let n = 0;
  for (let k = 0; k < spans.length; k++) if (((spans[k] as number) & 7) === 1) n++;
  const out = new Uint32Array(n);
  let j = 0;
  for (let k = 0; k < spans.length; k++) if (((spans[k] as number) & 7) === 1) out[j++] = grams[k] as number;
  return out;
}

/** The text of the gram at `span` (see `TriggerObservation.spans`). */
function gramText(tokens: readonly string[], span: number): string {
  const i = span >> 3;
  const n = span & 7;
  return n > MAX_N ? `^${tokens.slice(0, n - MAX_N).join(' ')}` : tokens.slice(i, i + n).join(' ');
}

interface Candidate {
  gram: number;
  text: string;
  support: number;
  outcome: string;
  hits: number;
  logP: number;
  logQ: number;
  records: number[];
  aliases: string[];
  test: 'fisher-exact' | 'binomial-label-contradiction';
}

/** Naive Bayes over unigrams (Bernoulli presence), to judge whether a label agrees with its text. */
class LabelModel {
  private readonly labels: string[] = [];
  private readonly labelDocs: number[] = [];
  private readonly counts = new Map<number, number[]>();

  labelIndex(label: string): number {
    let i = this.labels.indexOf(label);
    if (i < 0) {
      if (this.labels.length >= 64) return -1;
      i = this.labels.push(label) - 1;
      this.labelDocs.push(0);
      for (const row of this.counts.values()) row.push(0);
    }
    return i;
  }

  add(label: number, unigrams: Iterable<number>): void {
    this.labelDocs[label] = (this.labelDocs[label] ?? 0) + 1;
    for (const u of unigrams) {
      let row = this.counts.get(u);
      if (!row) {
        row = new Array<number>(this.labels.length).fill(0);
        this.counts.set(u, row);
      }
      row[label] = (row[label] ?? 0) + 1;
    }
  }

  get size(): number {
    return this.labels.length;
  }

  /** Log-likelihood contribution of unigram `u` to each label. */
  weight(u: number, label: number): number {
    const c = this.counts.get(u)?.[label] ?? 0;
    return Math.log((c + 1) / ((this.labelDocs[label] ?? 0) + 2));
  }

  /** Per-label scores of a record: the label's log prior plus every unigram's weight (naive Bayes, before the argmax). */
  scores(unigrams: Uint32Array): Float64Array {
    const total = this.labelDocs.reduce((a, b) => a + b, 0);
    const out = new Float64Array(this.labels.length);
    for (let l = 0; l < this.labels.length; l++) {
      let s = Math.log(((this.labelDocs[l] ?? 0) + 1) / (total + this.labels.length));
      for (const u of unigrams) s += this.weight(u, l);
      out[l] = s;
    }
    return out;
  }

  /**
   * The predicted label of a record leaving out the unigrams in `exclude`, from its precomputed
   * `scores`: the weights of the excluded unigrams the record holds are taken back out. A candidate's test predicts every
   * carrying record; summing all their unigrams again per candidate made `finish` quadratic-ish
   * on large labelled sets (tens of seconds for a few thousand e-mails).
   */
  predictFrom(scores: Float64Array, unigrams: Uint32Array, exclude: readonly number[]): number {
    let best = -1;
    let bestScore = Number.NEGATIVE_INFINITY;
    for (let l = 0; l < scores.length; l++) {
      let s = scores[l] as number;
      for (const u of exclude) if (unigrams.indexOf(u) >= 0) s -= this.weight(u, l);
      if (s > bestScore) {
        bestScore = s;
        best = l;
      }
    }
    return best;
  }
}

function unigramIds(tokens: string[]): Uint32Array {
  const out = new Set<number>();
  for (const t of tokens) if (t !== GAP && t !== '') out.add((combine(0x811c9dc5, hashToken(t)) | 1) >>> 0);
  return Uint32Array.from(out);
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

/**
 * Record counts per gram id (unsigned 32-bit, never 0: ids are odd): an open-addressing table
 * (a `Map` with millions of number keys dominated the aggregation), iterated in first-seen
 * order like the `Map` it replaces.
 */
class GramCounts {
  /**
   * Interleaved cells of (id, count, first-seen rank): one cache line per probe instead of one
   * per array, which is what the aggregation on the main thread waits on.
   */
  private cells = new Uint32Array(3 << 14);
  private shift = 32 - 14;
  private size = 0;

  /** Cell index (a multiple of 3) of `id`, or of the empty cell where it would go. */
  private cell(id: number): number {
    const cap = this.cells.length / 3;
    // Fibonacci hashing: the high bits of the product depend on every bit of the id.
    let i = Math.imul(id, 0x9e3779b1) >>> this.shift;
    for (let k = this.cells[i * 3] as number; k !== 0 && k !== id; k = this.cells[i * 3] as number)
      i = (i + 1) & (cap - 1);
    return i * 3;
  }

  /** Count of `id` (0 when unseen); `id` as an unsigned 32-bit number. */
  get(id: number): number {
    return this.cells[this.cell(id) + 1] as number;
  }

  /** Counts one more record for `id`; returns the count before. */
  increment(id: number): number {
    const c = this.cell(id);
    const cells = this.cells;
    if (cells[c] !== 0) {
      const before = cells[c + 1] as number;
      cells[c + 1] = before + 1;
      return before;
    }
    cells[c] = id;
    cells[c + 1] = 1;
    cells[c + 2] = this.size++;
    if (this.size * 2 > cells.length / 3) this.grow();
    return 0;
  }

  private grow(): void {
    const old = this.cells;
    this.cells = new Uint32Array(old.length * 2);
    this.shift--;
    for (let j = 0; j < old.length; j += 3) {
      const k = old[j] as number;
      if (k === 0) continue;
      const c = this.cell(k);
      this.cells[c] = k;
      this.cells[c + 1] = old[j + 1] as number;
      this.cells[c + 2] = old[j + 2] as number;
    }
  }

  /**
   * Ids whose count lies in [min, max] and that pass `keep`, in first-seen order (found by a scan
   * of the cells, not a lookup per id).
   */
  select(min: number, max: number, keep: (id: number) => boolean): number[] {
    const found: number[] = [];
    const cells = this.cells;
    for (let j = 0; j < cells.length; j += 3) {
      const id = cells[j] as number;
      const n = cells[j + 1] as number;
      if (id !== 0 && n >= min && n <= max && keep(id)) found.push(j);
    }
    found.sort((x, y) => (cells[x + 2] as number) - (cells[y + 2] as number));
    return found.map((j) => cells[j] as number);
  }
}

class TriggerAggregator implements Aggregator<TriggerObservation> {
  private readonly opts: Options;
  private readonly refs: RecordRef[] = [];
  private readonly grams: Uint32Array[] = [];
  private readonly outcomes: string[][] = [];
  private readonly unigrams: Uint32Array[] = [];
  private readonly labels: number[] = [];
  private readonly df = new GramCounts();
  private readonly dict = new Map<number, string>();
  private readonly outcomeTotals = new Map<string, number>();
  private readonly nb = new LabelModel();
  private seen = 0;

  constructor(opts: Options) {
    this.opts = opts;
  }

  add(ref: RecordRef, o: TriggerObservation): void {
    this.seen++;
    if (this.refs.length >= this.opts.maxRecords) return;
    // A gram's text is kept once it reaches `minSupport` records (rarer grams can never become
    // candidates); only then are the tokens split.
    const named = this.opts.minSupport - 1;
    let tokens: string[] | undefined;
    const { grams, spans } = o;
    for (let k = 0; k < grams.length; k++) {
      const id = grams[k] as number;
      if (this.df.increment(id) !== named) continue;
      tokens ??= o.tokens.split(TOKEN_SEP);
      this.dict.set(id, gramText(tokens, spans[k] as number));
    }
    this.refs.push(ref);
    this.grams.push(grams);
    this.outcomes.push(o.outcomes);
    for (const out of o.outcomes) this.outcomeTotals.set(out, (this.outcomeTotals.get(out) ?? 0) + 1);
    if (o.label !== undefined) {
      const li = this.nb.labelIndex(o.label);
      const uni = o.unigrams ?? new Uint32Array(0);
      this.labels.push(li);
      this.unigrams.push(uni);
      if (li >= 0) this.nb.add(li, uni);
    }
  }

  finish(): FindingDraft[] {
    const N = this.refs.length;
    if (N < 20) return [];
    const { minSupport, maxShare, minPurity, fdr } = this.opts;
    const maxDf = Math.max(minSupport, Math.floor(maxShare * N));
    const postings = new Map<number, number[]>();
    for (const id of this.df.select(minSupport, maxDf, (x) => this.dict.has(x))) postings.set(id, []);
    for (let r = 0; r < N; r++) {
      for (const id of this.grams[r] as Uint32Array) postings.get(id)?.push(r);
    }
    const classification = this.labels.length === N && this.nb.size >= 2;
    // Base rate of "label contradicts text" for the binomial label test.
    let contradictionRate = 0;
    const scores = classification ? this.unigrams.map((u) => this.nb.scores(u)) : [];
    if (classification) {
      let contra = 0;
      for (let r = 0; r < N; r++)
        if (
          this.nb.predictFrom(scores[r] as Float64Array, this.unigrams[r] as Uint32Array, []) !==
          this.labels[r]
        )
          contra++;
      contradictionRate = Math.min(0.5, Math.max(0.01, contra / N));
    }
    const tested: Candidate[] = [];
    let tests = 0;
    for (const [id, recs] of postings) {
      const n = recs.length;
      const counts = new Map<string, number>();
      for (const r of recs)
        for (const out of this.outcomes[r] as string[]) counts.set(out, (counts.get(out) ?? 0) + 1);
      for (const [outcome, k] of counts) {
        tests++;
        if (k < minSupport || k / n < minPurity) continue;
        const text = this.dict.get(id) as string;
        if (classification) {
          // Contradiction test: how many carriers have a label their other words do not support?
          const gramUnigrams = [...new Set(unigramIds(text.replace(/^\^/, '').split(' ')))];
          let c = 0;
          for (const r of recs) {
            if (`label:${this.labelName(r)}` !== outcome) continue;
            const predicted = this.nb.predictFrom(
              scores[r] as Float64Array,
              this.unigrams[r] as Uint32Array,
              gramUnigrams,
            );
            if (predicted !== this.labels[r]) c++;
          }
          if (c < minSupport) continue;
          tested.push({
            gram: id,
            text,
            support: n,
            outcome,
            hits: k,
            logP: logBinomialUpperTail(n, contradictionRate, c),
            logQ: 0,
            records: recs,
            aliases: [],
            test: 'binomial-label-contradiction',
          });
        } else {
          const K = this.outcomeTotals.get(outcome) ?? k;
          tested.push({
            gram: id,
            text,
            support: n,
            outcome,
            hits: k,
            logP: logHypergeometricUpperTail(N, K, n, k),
            logQ: 0,
            records: recs,
            aliases: [],
            test: 'fisher-exact',
          });
        }
      }
    }
    if (tested.length === 0) return [];
    const q = benjaminiHochberg(
      tested.map((t) => t.logP),
      Math.max(tests, tested.length),
    );
    tested.forEach((t, i) => {
      t.logQ = q[i] as number;
    });
    const significant = tested
      .filter((t) => t.logQ <= Math.log(fdr))
      .sort(
        (a, b) =>
          a.logP - b.logP || b.text.split(' ').length - a.text.split(' ').length || b.support - a.support,
      );
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

  private labelName(r: number): string {
    const o = this.outcomes[r]?.[0] ?? '';
    return o.startsWith('label:') ? o.slice(6) : '';
  }
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

import { foldsByCharacter, foldText, isAscii } from '../text/normalization.js';
import { scorableBounds } from '../text/segments.js';
import type { RunTable, SegmentScores } from './linear-model-kernel.js';
import type { TextRole } from './linear-text-model.js';

/**
 * Record-level use of the injection model: every sentence segment of a field
 * is scored; a segment counts when its probability reaches the strong
 * threshold, or, inside data (an e-mail, a document, a tool result), when it
 * reaches the context threshold *and* is off-topic for the text around it. The
 * topic-shift test is what separates "What is the capital of Brazil?" spliced
 * into an invoice e-mail from "What is the cost?" in a sales e-mail: a planted
 * task shares almost no content words with its host document.
 */

export interface SegmentHit {
  score: number;
  start: number;
  end: number;
  text: string;
  /** True when the hit needed the topic-shift test. */
  offTopic: boolean;
}

export interface InjectionThresholds {
  strong: number;
  context: number;
  /** Also count task-like sentences (questions, task imperatives) that are off-topic in data, whatever the model says. */
  taskInData?: boolean;
  /**
   * How much a task-like sentence reads like a standalone task for an assistant rather than a
   * question between the people of a document (the task model); with `task`, a second way for
   * the task path to accept a sentence the injection model scores low.
   */
  taskPredict?: SegmentPredictor;
  task?: number;
}

export type SegmentPredictor = (folded: string, role: TextRole) => number;

const STOPWORDS = new Set(
  'that this with from have what when where which your about would there their will were been they them then than these those into some more most other such only over also just like very should could does doing make made each much many here please thank thanks'.split(
    ' ',
  ),
);
const CONTENT_WORD_RE = /[\p{L}\p{N}]{4,}/gu;

/**
 * Code units below U+0100 that `CONTENT_WORD_RE`'s `[\p{L}\p{N}]` matches (in ASCII `[A-Za-z0-9]`;
 * in Latin-1 also letters such as `ß`, `æ`, `ø`, `ª`, `µ` and the digits `²`, `³`, `¹`, `¼`-`¾`).
 */
const WORD_UNIT = new Uint8Array(256);
for (let c = 0; c < 256; c++) if (/[\p{L}\p{N}]/u.test(String.fromCharCode(c))) WORD_UNIT[c] = 1;

function isWordUnit(c: number): boolean {
  return c < 256 && WORD_UNIT[c] === 1;
}

/** Any code unit above U+00FF (surrogates included: without the u flag the class matches code units). */
const BEYOND_LATIN1_RE = /[\u0100-\uffff]/;

/**
 * True when every code unit of `text` is below U+0100, so that each is a code point and
 * `isWordUnit` tells the regex's word characters (`ascii`: `isAscii(text)`, when known).
 */
function isLatin1(text: string, ascii?: boolean): boolean {
  return (ascii ?? isAscii(text)) || !BEYOND_LATIN1_RE.test(text);
}

/**
 * Content words of folded text: runs of four or more letters or digits, stop words left out. In
 * Latin-1 text (ASCII included) they are the matches of `CONTENT_WORD_RE` (maximal runs), cut by
 * a plain scan over a table: the regex iterator was a visible cost on long fields, and about a
 * fifth of the benchmark corpus' characters sit in Latin-1 fields (mail decoded as Latin-1).
 */
export function contentWords(folded: string): string[] {
  const out: string[] = [];
  if (!isLatin1(folded)) {
    for (const m of folded.matchAll(CONTENT_WORD_RE)) if (!STOPWORDS.has(m[0])) out.push(m[0]);
    return out;
  }
  const n = folded.length;
  for (let i = 0; i < n; i++) {
    if (!isWordUnit(folded.charCodeAt(i))) continue;
    let j = i + 1;
    while (j < n && isWordUnit(folded.charCodeAt(j))) j++;
    if (j - i >= 4) {
      const w = folded.slice(i, j);
      if (!STOPWORDS.has(w)) out.push(w);
    }
    i = j;
  }
  return out;
}

/** Occurrence counts of content words in a field (a `Map` of `contentWords`' counts, or {@link FieldWordCounts}). */
export interface WordCounts {
  get(word: string): number | undefined;
}

/**
 * Hash table of a field's runs for {@link FieldWordCounts}, shared by all instances (only the
 * latest one's build is live; an older instance rebuilds): per slot the run's hash, its count,
 * its first start and its length (0: empty slot, -1: runs of different text share the hash).
 */
let runTable = new Int32Array(4096);
let runTableOwner: object | undefined;

/** FNV-1a of `text[from, to)`. */
function runHash(text: string, from: number, to: number): number {
  let h = 0x811c9dc5 | 0;
  for (let i = from; i < to; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * How often each content word occurs in a folded field, as counting `contentWords(whole)` gives
 * it. For ASCII text one pass hashes every maximal run of `[a-z0-9]` of four or more characters
 * into a table (no word strings are cut), and a word's count is looked up there and confirmed
 * against the text at the run's first occurrence; cutting and counting every word of a long
 * e-mail as strings cost more than the topic test it serves. Other text, or two different runs
 * with the same hash, count all words as strings once.
 */
export class FieldWordCounts implements WordCounts {
  private readonly whole: string;
  private readonly ascii: boolean;
  private readonly latin1: boolean;
  private readonly kernelTable: (() => RunTable | undefined) | undefined;
  private all: Map<string, number> | undefined;
  private mask = -1;
  /** The kernel's table, when it built one (else this instance's build in `runTable`). */
  private own: Int32Array | undefined;
  private asked = false;

  /**
   * `kernelTable`, when given, builds the same table in a kernel that holds the field
   * (`SegmentScores.runTable`); it is asked once, on the first lookup.
   */
  constructor(whole: string, kernelTable?: () => RunTable | undefined) {
    this.whole = whole;
    this.ascii = isAscii(whole);
    this.latin1 = isLatin1(whole, this.ascii);
    this.kernelTable = kernelTable;
  }

  get(word: string): number | undefined {
    if (this.all) return this.all.get(word);
    if (!this.latin1) return this.countAll().get(word);
    // The kernel cuts runs of ASCII text only.
    if (this.ascii && this.mask < 0 && !this.asked) {
      this.asked = true;
      const k = this.kernelTable?.();
      if (k) {
        this.own = k.table;
        this.mask = k.mask;
      }
    }
    if (!this.own && runTableOwner !== this) this.build();
    const t = this.own ?? runTable;
    const h = runHash(word, 0, word.length);
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const len = t[4 * s + 3] as number;
      if (len === 0) return undefined;
      if (t[4 * s] !== h) continue;
      if (len < 0) return this.countAll().get(word);
      return len === word.length && this.whole.startsWith(word, t[4 * s + 2] as number)
        ? (t[4 * s + 1] as number)
        : undefined;
    }
  }

  private countAll(): Map<string, number> {
    const all = new Map<string, number>();
    for (const w of contentWords(this.whole)) all.set(w, (all.get(w) ?? 0) + 1);
    this.all = all;
    return all;
  }

  private build(): void {
    const text = this.whole;
    const n = text.length;
    let slots = 16;
    while (slots < (2 * n) / 5 + 2) slots *= 2;
    if (runTable.length < 4 * slots) runTable = new Int32Array(4 * slots);
    const t = runTable;
    t.fill(0, 0, 4 * slots);
    const mask = slots - 1;
    for (let i = 0; i < n; i++) {
      let c = text.charCodeAt(i);
      if (!isWordUnit(c)) continue;
      // The run's end and its hash (`runHash`) in one pass.
      let h = Math.imul(0x811c9dc5 ^ c, 0x01000193);
      let j = i + 1;
      for (; j < n; j++) {
        c = text.charCodeAt(j);
        if (!isWordUnit(c)) break;
        h = Math.imul(h ^ c, 0x01000193);
      }
      const len = j - i;
      if (len >= 4) {
        for (let s = h & mask; ; s = (s + 1) & mask) {
          const at = 4 * s;
          const seen = t[at + 3] as number;
          if (seen === 0) {
            t[at] = h;
            t[at + 1] = 1;
            t[at + 2] = i;
            t[at + 3] = len;
            break;
          }
          if (t[at] !== h) continue;
          if (seen > 0 && seen === len && sameRun(text, t[at + 2] as number, i, len))
            t[at + 1] = (t[at + 1] as number) + 1;
          else t[at + 3] = -1;
          break;
        }
      }
      i = j;
    }
    this.mask = mask;
    runTableOwner = this;
  }
}

/** `text.slice(a, a + len) === text.slice(b, b + len)` without the slices. */
function sameRun(text: string, a: number, b: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (text.charCodeAt(a + k) !== text.charCodeAt(b + k)) return false;
  return true;
}

/** Share of a segment's content words that also occur elsewhere in its field (1 when it has fewer than two). */
export function topicOverlap(segmentFolded: string, fieldCounts: WordCounts): number {
  const words = contentWords(segmentFolded);
  if (words.length < 2) return 1;
  const own = new Map<string, number>();
  for (const w of words) own.set(w, (own.get(w) ?? 0) + 1);
  let shared = 0;
  for (const [w, n] of own) if ((fieldCounts.get(w) ?? 0) > n) shared++;
  return shared / own.size;
}

/**
 * A task addressed to an assistant: a question or an imperative task verb at
 * the start of the sentence. Inside data that is off-topic for its host, this
 * is how a planted task reads even when the model is unsure of it.
 */
const TASK_RE =
  /^(?:(?:please|kindly|now|also|then)\s)?(?:what|who|which|when|where|why|how|explain|describe|translate|write|draft|compose|develop|provide|create|generate|summari[sz]e|list|give|define|calculate|solve|convert|compare|outline|break down|recommend|suggest|replace|rewrite|rephrase|paraphrase|name|identify|classify|analy[sz]e|evaluate|edit|correct|design|plan|brainstorm|predict|rank|sort|find|tell|discuss|illustrate)\b(?!\s{0,2}:)/;
// Questions between the people of a document ("could you confirm...", "when can we meet?") are not planted tasks.
const PERSONAL_RE = /\b(?:you|your|we|our|us|i|me|my)\b/;
// Quoted material ("'thank you' in Japanese") is not the writer speaking: left out of the pronoun test.
const QUOTED_RE = /(^|\s)(['"\u2018\u201c])[^'"\u2019\u201d\n]{1,80}['"\u2019\u201d](?=[\s.,;:!?)]|$)/g;

/** True for a (folded) sentence shaped like a task for an assistant: a task opening, no pronouns of the writer. */
export function taskShaped(folded: string): boolean {
  return TASK_RE.test(folded) && !PERSONAL_RE.test(folded.replace(QUOTED_RE, '$1'));
}

/** The model must lean at least this far towards "instruction" for the task path (prose questions score lower). */
const TASK_MIN_SCORE = 0.05;

/** Max off-topic overlap for a context-threshold hit. */
const MAX_OVERLAP = 0.2;
/** A field must hold this much text beyond the segment for the topic-shift test to mean anything. */
const MIN_CONTEXT_CHARS = 120;

/** Share of letters and spaces a segment needs to be scored (headers, ids, tables and code lines fall below). */
const MIN_PROSE_SHARE = 0.6;

/** ASCII code units that count as prose: letters and the space (every non-ASCII unit counts too). */
const PROSE = new Uint8Array(128);
for (let c = 0; c < 128; c++) if (c === 32 || ((c | 32) >= 97 && (c | 32) <= 122)) PROSE[c] = 1;

/**
 * True when `text[start, end)` reads as prose: at least `MIN_PROSE_SHARE` of it letters (any
 * script) or spaces. The model was trained on sentences; mail headers, ids and tables are most
 * of the characters of a raw e-mail and only cost scoring time (encoded payloads there are
 * decoded and checked by the rules). Case does not matter, so the folded text of an ASCII
 * field gives the same answer as the field.
 */
export function proseLike(text: string, start: number, end: number): boolean {
  let prose = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    prose += c < 128 ? (PROSE[c] as number) : 1;
  }
  return prose >= MIN_PROSE_SHARE * (end - start);
}

/** `predict(folded.slice(start, end), role)` without the slice (see `scoreFoldedRange`). */
export type RangePredictor = (folded: string, start: number, end: number, role: TextRole) => number;

/**
 * For a text that folds character by character (`foldsByCharacter`): its `scorableBounds`
 * segments that are `proseLike`, each with `predict` of its folded slice
 * (`LinearModelKernel.scoreLatin1Segments`).
 */
export type Latin1SegmentScorer = (text: string, role: TextRole) => SegmentScores;

/**
 * The best-scoring segment of `text` that counts as an injected instruction, if any.
 * `textFolded` is `foldText(text)` when the caller already has it; `predictRange`, when given,
 * must equal `predict` on the slice and lets an ASCII field's segments be scored in place;
 * `textAscii` is `isAscii(text)` when the caller already knows it; `scoreLatin1`, when given, cuts,
 * tests and scores the segments of a text that folds character by character in one call (the
 * same segments and scores; its folded slices are then slices of the folded text).
 */
export function bestInjectedSegment(
  text: string,
  role: TextRole,
  predict: SegmentPredictor,
  thresholds: InjectionThresholds,
  textFolded?: string,
  predictRange?: RangePredictor,
  textAscii?: boolean,
  scoreLatin1?: Latin1SegmentScorer,
): SegmentHit | undefined {
  let best: SegmentHit | undefined;
  let fieldCounts: FieldWordCounts | undefined;
  // ASCII folds character for character, so segments are cut from the folded field instead of folded one by one.
  const ascii = textAscii ?? isAscii(text);
  let whole = textFolded ?? (ascii ? text.toLowerCase() : undefined);
  const scored = scoreLatin1 && (ascii || foldsByCharacter(text)) ? scoreLatin1(text, role) : undefined;
  if (scored) whole ??= foldText(text);
  const bounds = scored ? scored.bounds : scorableBounds(text, ascii);
  const count = scored ? scored.count : bounds.length >> 1;
  for (let k = 0; k < count; k++) {
    const start = bounds[2 * k] as number;
    const end = bounds[2 * k + 1] as number;
    const inPlace = ascii && whole !== undefined;
    let folded: string | undefined;
    let score: number;
    if (scored) score = scored.scores[k] as number;
    else if (!proseLike(inPlace ? (whole as string) : text, start, end)) continue;
    else if (inPlace && predictRange) score = predictRange(whole as string, start, end, role);
    else {
      folded = inPlace ? (whole as string).slice(start, end) : foldText(text.slice(start, end));
      score = predict(folded, role);
    }
    // Cheapest tests first; the task path (a second model) only matters below the context threshold.
    if (best && score <= best.score) continue;
    if (score < thresholds.strong && (role !== 'D' || text.length - (end - start) < MIN_CONTEXT_CHARS))
      continue;
    folded ??= (whole as string).slice(start, end);
    if (
      score < thresholds.context &&
      !(
        thresholds.taskInData === true &&
        role === 'D' &&
        taskShaped(folded) &&
        (score >= TASK_MIN_SCORE ||
          (thresholds.taskPredict !== undefined &&
            thresholds.taskPredict(folded, role) >= (thresholds.task ?? 1)))
      )
    )
      continue;
    let offTopic = false;
    if (score < thresholds.strong) {
      if (!fieldCounts) {
        whole ??= foldText(text);
        const held = scored;
        fieldCounts = new FieldWordCounts(whole, held ? () => held.runTable(text) : undefined);
      }
      if (topicOverlap(folded, fieldCounts) > MAX_OVERLAP) continue;
      offTopic = true;
    }
    best = { score, start, end, text: text.slice(start, end), offTopic };
  }
  return best;
}

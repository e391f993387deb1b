import { foldText, isAscii } from '../text/normalization.js';
import { scorableBounds } from '../text/segments.js';
import type { SegmentScores } from './linear-model-kernel.js';
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

/** `[a-z0-9]` over ASCII code units. */
const ALNUM = new Uint8Array(128);
for (let c = 0; c < 128; c++) if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) ALNUM[c] = 1;

function isAlnum(c: number): boolean {
  return c < 128 && ALNUM[c] === 1;
}

/**
 * Content words of folded text: runs of four or more letters or digits, stop words left out. In
 * ASCII text they are the matches of `/[a-z0-9]{4,}/g` (maximal runs), cut by a plain scan: the
 * regex iterator was a visible cost on long fields.
 */
export function contentWords(folded: string): string[] {
  const out: string[] = [];
  if (!isAscii(folded)) {
    for (const m of folded.matchAll(CONTENT_WORD_RE)) if (!STOPWORDS.has(m[0])) out.push(m[0]);
    return out;
  }
  const n = folded.length;
  for (let i = 0; i < n; i++) {
    if (!isAlnum(folded.charCodeAt(i))) continue;
    let j = i + 1;
    while (j < n && isAlnum(folded.charCodeAt(j))) j++;
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

/** Distinct words counted one by one before a field's words are all cut and counted at once. */
const LAZY_WORDS = 64;

/**
 * How often each content word occurs in a folded field, as counting `contentWords(whole)` gives
 * it. In ASCII text a word is counted where it stands as a whole run of `[a-z0-9]` (an `indexOf`
 * scan): the topic test asks about a dozen words of a field, and cutting and counting every word
 * of a long e-mail cost more than the test. Past `LAZY_WORDS` distinct words, or in other text,
 * all words are counted once.
 */
export class FieldWordCounts implements WordCounts {
  private readonly whole: string;
  private readonly lazy: boolean;
  private all: Map<string, number> | undefined;
  private readonly asked = new Map<string, number>();

  constructor(whole: string) {
    this.whole = whole;
    this.lazy = isAscii(whole);
  }

  get(word: string): number | undefined {
    if (this.all) return this.all.get(word);
    if (!this.lazy || this.asked.size >= LAZY_WORDS) {
      const all = new Map<string, number>();
      for (const w of contentWords(this.whole)) all.set(w, (all.get(w) ?? 0) + 1);
      this.all = all;
      return all.get(word);
    }
    let n = this.asked.get(word);
    if (n === undefined) {
      n = runCount(this.whole, word);
      this.asked.set(word, n);
    }
    return n > 0 ? n : undefined;
  }
}

/**
 * Occurrences of `word` (a content word) in ASCII `text` as a maximal run of `[a-z0-9]`: the
 * count `contentWords(text)` holds of it (a word with other characters, or a stop word, occurs
 * there as no run, and `contentWords` never returns such a word to ask about).
 */
function runCount(text: string, word: string): number {
  const n = text.length;
  const len = word.length;
  let count = 0;
  for (let p = text.indexOf(word); p >= 0; p = text.indexOf(word, p + 1)) {
    if (
      (p === 0 || !isAlnum(text.charCodeAt(p - 1))) &&
      (p + len === n || !isAlnum(text.charCodeAt(p + len)))
    )
      count++;
  }
  return count;
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
 * For an all-ASCII text: its `scorableBounds` segments that are `proseLike`, each with
 * `predict` of its folded slice (`LinearModelKernel.scoreAsciiSegments`).
 */
export type AsciiSegmentScorer = (text: string, role: TextRole) => SegmentScores;

/**
 * The best-scoring segment of `text` that counts as an injected instruction, if any.
 * `textFolded` is `foldText(text)` when the caller already has it; `predictRange`, when given,
 * must equal `predict` on the slice and lets an ASCII field's segments be scored in place;
 * `textAscii` is `isAscii(text)` when the caller already knows it; `scoreAscii`, when given, cuts,
 * tests and scores an ASCII text's segments in one call (the same segments and scores).
 */
export function bestInjectedSegment(
  text: string,
  role: TextRole,
  predict: SegmentPredictor,
  thresholds: InjectionThresholds,
  textFolded?: string,
  predictRange?: RangePredictor,
  textAscii?: boolean,
  scoreAscii?: AsciiSegmentScorer,
): SegmentHit | undefined {
  let best: SegmentHit | undefined;
  let fieldCounts: FieldWordCounts | undefined;
  // ASCII folds character for character, so segments are cut from the folded field instead of folded one by one.
  const ascii = textAscii ?? isAscii(text);
  let whole = textFolded ?? (ascii ? text.toLowerCase() : undefined);
  const scored = ascii && scoreAscii ? scoreAscii(text, role) : undefined;
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
        fieldCounts = new FieldWordCounts(whole);
      }
      if (topicOverlap(folded, fieldCounts) > MAX_OVERLAP) continue;
      offTopic = true;
    }
    best = { score, start, end, text: text.slice(start, end), offTopic };
  }
  return best;
}

import type { Severity } from '../../contracts/finding.js';
import type { DatasetRecord } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { CONFUSABLE_SKELETON } from '../text/confusables.js';
import { isAscii } from '../text/normalization.js';
import { decodeUnicodeTags } from '../text/segment-decoding.js';
import { codePointLabel, excerpt } from './evidence-text.js';
import { cachedOptions } from './options-cache.js';

/**
 * `hidden-text`: content a human reviewer does not see but a tokenizer does:
 * Unicode tag characters (decoded), variation-selector byte smuggling,
 * zero-width characters, bidi controls (Trojan Source), private-use and
 * unassigned code points, Hangul fillers, mixed-script look-alike words, and
 * hidden HTML/Markdown (comments, display:none, zero font size, white text).
 */

const OptionsSchema = z
  .object({
    /** Zero-width characters tolerated per field before reporting (emoji ZWJ sequences excluded). */
    zeroWidthAllowance: z.number().int().min(0).max(1000).default(0),
  })
  .strict();

const TAG_RUN_RE = /(?:\udb40[\udc00-\udc7f])+/g;
// Variation selectors: VS1-16 (U+FE00-FE0F) and VS17-256 (U+E0100-E01EF).
const VS_RUN_RE =
  /(?:\ufe00|\ufe01|\ufe02|\ufe03|\ufe04|\ufe05|\ufe06|\ufe07|\ufe08|\ufe09|\ufe0a|\ufe0b|\ufe0c|\ufe0d|\ufe0e|\ufe0f|\udb40[\udd00-\uddef]){2,}/g;
const ZERO_WIDTH_RE = /\u200b|\u200c|\u200d|\u2060|[\u2061-\u2064]|\u180e|\ufeff/g;
const BIDI_RE = /[\u202a-\u202e\u2066-\u2069]/g;
const PRIVATE_USE_RE = /\p{Co}/gu;
const UNASSIGNED_RE = /\p{Cn}/gu;
const HANGUL_FILLER_RE = /[\u115f\u1160\u3164\uffa0]/g;
const WORD_RE = /[\p{L}\p{M}]{3,40}/gu;
const LATIN_RE = /\p{Script=Latin}/u;
const NON_LATIN_LOOKALIKE_RE = /[\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}]/u;
// Zero-width joiners legitimately glue emoji sequences and shape Indic/Arabic/Persian text.
const ZWJ_CONTEXT_RE =
  /[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Script=Arabic}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Malayalam}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Gujarati}\p{Script=Gurmukhi}\p{Script=Sinhala}\p{Script=Syriac}\p{Script=Mongolian}]|\ufe0f/u;

/** The patterns behind every Unicode rule of `unicodeHits` (a hit needs a character one of them matches). */
export const UNICODE_RULE_PATTERNS: readonly RegExp[] = [
  TAG_RUN_RE,
  VS_RUN_RE,
  ZERO_WIDTH_RE,
  BIDI_RE,
  PRIVATE_USE_RE,
  UNASSIGNED_RE,
  HANGUL_FILLER_RE,
  NON_LATIN_LOOKALIKE_RE,
];

/**
 * Any character one of `UNICODE_RULE_PATTERNS` can match (checked over every code point in the
 * tests). Most non-ASCII text (accents, curly quotes, CJK) holds none, and one scan then rules
 * out all eight Unicode scans.
 */
export const UNICODE_RULE_GATE_RE =
  /[\p{Cf}\p{Co}\p{Cn}\u115f\u1160\u3164\uffa0\p{Script=Cyrillic}\p{Script=Greek}\p{Script=Armenian}]|\p{Variation_Selector}/u;

const HTML_COMMENT_RE = /<!--([\s\S]{0,4000}?)-->/g;
const HIDDEN_STYLE_RE =
  /<([a-z][a-z0-9]{0,10})\b[^>]{0,400}?(?:style\s{0,3}=\s{0,3}["'][^"']{0,300}?(?:display\s{0,3}:\s{0,3}none|visibility\s{0,3}:\s{0,3}hidden|font-size\s{0,3}:\s{0,3}0(?:\.0{1,3})?(?:px|pt|em|rem|%)?\s{0,3}[;"']|opacity\s{0,3}:\s{0,3}0(?:\.0{1,3})?\s{0,3}[;"']|(?<![-\w])color\s{0,3}:\s{0,3}(?:#fff(?:fff)?|white|rgb\(\s{0,3}255\s{0,3},\s{0,3}255\s{0,3},\s{0,3}255\s{0,3}\)|transparent)\b|height\s{0,3}:\s{0,3}0(?:px)?\s{0,3}[;"'])|\shidden(?:\s|>|=)|aria-hidden\s{0,3}=\s{0,3}["']true)[^>]{0,200}>([\s\S]{0,2000}?)<\/\1>/gi;
const MD_COMMENT_RE = /^\s{0,3}\[(?:\/\/|comment|_)\]:\s{0,3}#\s{0,3}[("'](.{1,500})[)"']\s*$/gm;

interface Hit {
  rule: string;
  severity: Severity;
  message: string;
  evidence: Record<string, unknown>;
  score: number;
}

function countMatches(re: RegExp, text: string): { count: number; first: number; firstCp: number } {
  re.lastIndex = 0;
  let count = 0;
  let first = -1;
  let firstCp = 0;
  for (const m of text.matchAll(re)) {
    if (count === 0) {
      first = m.index;
      firstCp = m[0].codePointAt(0) as number;
    }
    count++;
  }
  return { count, first, firstCp };
}

/** Bytes smuggled in variation selectors (one selector per byte, as in emoji "hidden message" tools). */
function decodeVariationSelectors(run: string): string {
  const bytes: number[] = [];
  for (const ch of run) {
    const cp = ch.codePointAt(0) as number;
    if (cp >= 0xfe00 && cp <= 0xfe0f) bytes.push(cp - 0xfe00);
    else if (cp >= 0xe0100 && cp <= 0xe01ef) bytes.push(cp - 0xe0100 + 16);
  }
  return Buffer.from(bytes).toString('utf8');
}

function unicodeHits(text: string, zeroWidthAllowance: number): Hit[] {
  const hits: Hit[] = [];
  TAG_RUN_RE.lastIndex = 0;
  for (const m of text.matchAll(TAG_RUN_RE)) {
    const decoded = decodeUnicodeTags(m[0]);
    hits.push({
      rule: 'hidden.unicode-tags',
      severity: decoded.length >= 3 ? 'critical' : 'high',
      message: `Unicode tag characters smuggle invisible ASCII text: "${decoded.slice(0, 80)}"`,
      evidence: { decoded: decoded.slice(0, 200), characters: [...m[0]].length, at: m.index },
      score: 0.98,
    });
    break;
  }
  for (const m of text.matchAll(VS_RUN_RE)) {
    const n = [...m[0]].length;
    // Two selectors can be a legitimate emoji presentation sequence; more is a byte payload.
    if (n < 4) continue;
    const decoded = decodeVariationSelectors(m[0]);
    hits.push({
      rule: 'hidden.variation-selectors',
      severity: 'high',
      message: `${n} consecutive variation selectors encode hidden bytes`,
      evidence: { selectors: n, decoded: decoded.replace(/[^\x20-\x7e]/g, '.').slice(0, 120), at: m.index },
      score: 0.9,
    });
    break;
  }
  const zw = countMatches(ZERO_WIDTH_RE, text);
  if (zw.count > zeroWidthAllowance) {
    // Skip joiners in emoji sequences and scripts that need them; a leading BOM is harmless.
    let suspicious = 0;
    let at = -1;
    let cp = 0;
    ZERO_WIDTH_RE.lastIndex = 0;
    for (const m of text.matchAll(ZERO_WIDTH_RE)) {
      const c = m[0].charCodeAt(0);
      if (c === 0xfeff && m.index === 0) continue;
      if (c === 0x200d || c === 0x200c) {
        const around = text.slice(Math.max(0, m.index - 2), m.index + 3);
        if (ZWJ_CONTEXT_RE.test(around)) continue;
      }
      suspicious++;
      if (at < 0) {
        at = m.index;
        cp = c;
      }
    }
    if (suspicious > zeroWidthAllowance) {
      const insideWord = at > 0 && /\p{L}/u.test(text[at - 1] ?? '') && /\p{L}/u.test(text[at + 1] ?? '');
      hits.push({
        rule: 'hidden.zero-width',
        severity: insideWord || suspicious >= 8 ? 'medium' : 'low',
        message: `${suspicious} zero-width character(s)${insideWord ? ' inside words (filter evasion or watermark)' : ''}`,
        evidence: {
          count: suspicious,
          first: codePointLabel(cp),
          at,
          context: excerpt(text, at, at + 1, 20, 60),
        },
        score: insideWord ? 0.7 : 0.5,
      });
    }
  }
  const bidi = countMatches(BIDI_RE, text);
  if (bidi.count > 0) {
    const codeLike = /[{};=]|\b(?:if|return|function|def|var|let|const)\b/.test(text);
    hits.push({
      rule: 'hidden.bidi-control',
      severity: codeLike ? 'high' : 'medium',
      message: `${bidi.count} bidirectional override/isolate control(s) reorder displayed text (Trojan Source)`,
      evidence: { count: bidi.count, first: codePointLabel(bidi.firstCp), at: bidi.first },
      score: codeLike ? 0.85 : 0.65,
    });
  }
  const pua = countMatches(PRIVATE_USE_RE, text);
  if (pua.count > 0) {
    hits.push({
      rule: 'hidden.private-use',
      severity: 'low',
      message: `${pua.count} private-use code point(s): no standard glyph, meaning depends on a private font or encoding`,
      evidence: { count: pua.count, first: codePointLabel(pua.firstCp), at: pua.first },
      score: 0.4,
    });
  }
  const cn = countMatches(UNASSIGNED_RE, text);
  if (cn.count > 0) {
    hits.push({
      rule: 'hidden.unassigned',
      severity: 'medium',
      message: `${cn.count} unassigned code point(s): invisible or undefined in every font`,
      evidence: { count: cn.count, first: codePointLabel(cn.firstCp), at: cn.first },
      score: 0.6,
    });
  }
  const hf = countMatches(HANGUL_FILLER_RE, text);
  if (hf.count > 0) {
    const korean = /[\uac00-\ud7a3]/.test(text);
    if (!korean || hf.count >= 3) {
      hits.push({
        rule: 'hidden.hangul-filler',
        severity: 'medium',
        message: `${hf.count} Hangul filler(s): blank-rendering letters used as invisible text`,
        evidence: { count: hf.count, first: codePointLabel(hf.firstCp), at: hf.first },
        score: 0.65,
      });
    }
  }
  // A mixed-script word needs a Cyrillic/Greek/Armenian letter somewhere: one scan rules most texts out.
  for (const m of NON_LATIN_LOOKALIKE_RE.test(text) ? text.matchAll(WORD_RE) : []) {
    const w = m[0];
    if (!LATIN_RE.test(w) || !NON_LATIN_LOOKALIKE_RE.test(w)) continue;
    const lookalikes = [...w].filter((ch) => CONFUSABLE_SKELETON.has(ch.codePointAt(0) as number));
    if (lookalikes.length === 0) continue;
    hits.push({
      rule: 'hidden.mixed-script',
      severity: 'medium',
      message: `word mixes Latin with look-alike ${/\p{Script=Cyrillic}/u.test(w) ? 'Cyrillic' : 'Greek/Armenian'} letters (homoglyph evasion)`,
      evidence: {
        word: w,
        lookalikes: lookalikes
          .map((ch) => `${ch} ${codePointLabel(ch.codePointAt(0) as number)}`)
          .slice(0, 5),
        at: m.index,
      },
      score: 0.75,
    });
    break;
  }
  return hits;
}

function markupHits(text: string): Hit[] {
  const hits: Hit[] = [];
  if (text.includes('<!--')) {
    for (const m of text.matchAll(HTML_COMMENT_RE)) {
      const body = (m[1] ?? '').trim();
      // Conditional comments and empty markers are markup plumbing, not hidden prose.
      if (
        body.length < 12 ||
        /^\[if |^\[endif|^\s*(?:end|begin|start)\b/i.test(body) ||
        !/[a-z]{3,}\s+[a-z]{2,}/i.test(body)
      )
        continue;
      hits.push({
        rule: 'hidden.html-comment',
        severity: 'low',
        message: 'HTML comment carries prose that a rendered page hides',
        evidence: { content: excerpt(body, 0, body.length, 0, 120), at: m.index },
        score: 0.45,
      });
      break;
    }
  }
  if (text.includes('<')) {
    HIDDEN_STYLE_RE.lastIndex = 0;
    for (const m of text.matchAll(HIDDEN_STYLE_RE)) {
      const inner = (m[2] ?? '').replace(/<[^>]{0,200}>/g, ' ').trim();
      if (inner.length < 3) continue;
      hits.push({
        rule: 'hidden.html-hidden-style',
        severity: 'medium',
        message:
          'HTML element hidden by style or attribute (display:none, visibility:hidden, zero size, white text)',
        evidence: { content: excerpt(inner, 0, inner.length, 0, 120), tag: m[1], at: m.index },
        score: 0.7,
      });
      break;
    }
  }
  if (text.includes(']:')) {
    MD_COMMENT_RE.lastIndex = 0;
    const m = MD_COMMENT_RE.exec(text);
    if (m) {
      hits.push({
        rule: 'hidden.markdown-comment',
        severity: 'low',
        message: 'Markdown link-reference comment: text that renderers never show',
        evidence: { content: excerpt(m[1] ?? '', 0, (m[1] ?? '').length, 0, 120), at: m.index },
        score: 0.45,
      });
    }
  }
  return hits;
}

/** Hidden-text hits in one text (exported for reuse by other scanners). */
export function findHiddenText(text: string, zeroWidthAllowance = 0): Hit[] {
  const hits = isAscii(text) || !UNICODE_RULE_GATE_RE.test(text) ? [] : unicodeHits(text, zeroWidthAllowance);
  if (text.includes('<') || text.includes(']:')) hits.push(...markupHits(text));
  return hits;
}

const readOptions = cachedOptions(OptionsSchema);

export const hiddenTextDetector: Detector = {
  id: 'hidden-text',
  description:
    'Invisible or disguised content: Unicode tags (decoded), variation-selector smuggling, zero-width and bidi controls, private-use/unassigned code points, Hangul fillers, mixed-script homoglyphs, hidden HTML/Markdown',
  defaultSeverity: 'medium',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('hidden-text', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<unknown> | undefined {
    const { zeroWidthAllowance } = readOptions(ctx.options);
    const findings: FindingDraft[] = [];
    for (const t of record.texts) {
      for (const h of findHiddenText(t.text, zeroWidthAllowance)) {
        findings.push({
          detector: 'hidden-text',
          rule: h.rule,
          severity: h.severity,
          field: t.field,
          message: h.message,
          evidence: h.evidence,
          score: h.score,
        });
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};

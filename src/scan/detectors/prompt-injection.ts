import type { Severity } from '../../contracts/finding.js';
import type { DatasetRecord } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import {
  EVASION_ALIASES,
  EVASION_WORDS,
  evasionHintsOf,
  foldText,
  isAscii,
  matchVariants,
  type TextVariant,
} from '../text/normalization.js';
import { decodeSegments, ROT13_HINT_WORDS, rot13HintAt } from '../text/segment-decoding.js';
import { excerpt } from './evidence-text.js';
import { isAnswerField, roleOfField, splitRequest } from './field-roles.js';
import { INJECTION_RULES, type InjectionRuleId, RuleScanner } from './injection-rules.js';
import { bestInjectedSegment, type Latin1SegmentScorer, type RangePredictor } from './injection-segments.js';
import { LinearModelKernel } from './linear-model-kernel.js';
import {
  isWordChar,
  type LinearTextModel,
  loadShippedModel,
  scoreFoldedRange,
  type TextRole,
} from './linear-text-model.js';
import { cachedOptions } from './options-cache.js';

/**
 * `prompt-injection`: injected instructions and jailbreak text in any field.
 * Rules (override phrasing in 18 languages, DAN/role-play jailbreaks,
 * system-prompt extraction, tool-call injection, exfiltration links,
 * instructions addressed to the assistant's output inside data) run on every
 * evasion-undoing variant of the text and on decoded base64/hex/URL/rot13/tag
 * segments; a hashed n-gram logistic model scores every sentence segment.
 */

const OptionsSchema = z
  .object({
    /** Use the learned segment model besides the rules. */
    model: z.boolean().default(true),
    /** Decode base64/hex/URL/rot13/tag segments and rescan them. */
    decode: z.boolean().default(true),
    maxDecodeDepth: z.number().int().min(1).max(4).default(2),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;
const readOptions = cachedOptions(OptionsSchema);

const RULE_SEVERITY: Readonly<Record<InjectionRuleId, Severity>> = {
  'injection.override': 'high',
  'injection.jailbreak': 'high',
  'injection.prompt-extraction': 'high',
  'injection.tool-call': 'high',
  'injection.exfiltration': 'high',
  'injection.addressed-to-assistant': 'medium',
};

const RULE_MESSAGE: Readonly<Record<InjectionRuleId, string>> = {
  'injection.override': 'instruction-override phrasing ("ignore previous instructions")',
  'injection.jailbreak': 'role-play / DAN-style jailbreak text',
  'injection.prompt-extraction': 'system-prompt extraction request',
  'injection.tool-call': 'tool/function-call injection inside data',
  'injection.exfiltration': 'data-exfiltration instruction',
  'injection.addressed-to-assistant': "instruction aimed at the assistant's output, planted inside data",
};

// Markdown images/links and HTML images whose URL can carry data out.
const MARKDOWN_LINK = String.raw`!?\[[^\]\n]{0,200}\]\(\s{0,3}((?:https?:)?\/\/[^)\s]{1,600})[^)\n]{0,200}\)`;
const HTML_IMAGE = String.raw`<img\b[^>]{0,300}?src\s{0,3}=\s{0,3}["']?((?:https?:)?\/\/[^"'\s>]{1,600})`;
const LINK_RE = new RegExp(`${MARKDOWN_LINK}|${HTML_IMAGE}`, 'gi');
// A text without "](" holds no markdown link, one without "<img" no HTML image: the one-branch
// forms then give the same matches, and the HTML one starts at a literal the regex engine
// searches for instead of trying the markdown branch at every '['.
const MARKDOWN_LINK_RE = new RegExp(MARKDOWN_LINK, 'gi');
const HTML_IMAGE_RE = new RegExp(HTML_IMAGE, 'gi');
const PLACEHOLDER_RE = /[{}$<>[\]]|%7b|%7d|%24|%3c|%5b/i;
const DATA_PARAM_RE =
  /[?&#/](?:q|d|data|p|payload|info|text|msg|message|content|secret|password|pass|pwd|token|key|apikey|api_key|history|chat|conversation|prompt|context|session|cookie|email|user|ssn|card|leak|exfil)=/i;
const LONG_VALUE_RE = /[=/][A-Za-z0-9+/_%-]{32,}/;

const MIN_DEC_CHARS = 16;

/** Which rules can match a text, and their first matches (one anchor pass per text; per thread). */
const scanner = new RuleScanner(INJECTION_RULES, {
  words: [...EVASION_WORDS, ...ROT13_HINT_WORDS],
  aliases: EVASION_ALIASES,
});

/** Whether the scanner's last pass (over an ASCII field's folded text) found a rot13 hint word. */
function rot13Hinted(folded: string): boolean {
  const pairs = scanner.extraPairs;
  for (let k = 0; k < pairs.length; k += 2) {
    const x = (pairs[k] as number) - EVASION_WORDS.length;
    if (x >= 0 && rot13HintAt(folded, x, pairs[k + 1] as number)) return true;
  }
  return false;
}

/** Each model's WebAssembly kernel (per thread; null without WebAssembly). */
const kernels = new Map<LinearTextModel, LinearModelKernel | null>();
function kernelOf(model: LinearTextModel): LinearModelKernel | null {
  let k = kernels.get(model);
  if (k === undefined) {
    k = LinearModelKernel.create(model, isWordChar) ?? null;
    kernels.set(model, k);
  }
  return k;
}

/** Each model's segment scorer: its kernel when available, else JavaScript. */
const scorers = new Map<LinearTextModel, RangePredictor>();
function rangeScorer(model: LinearTextModel): RangePredictor {
  let scorer = scorers.get(model);
  if (!scorer) {
    const k = kernelOf(model);
    scorer = k
      ? (folded, start, end, role) => k.score(folded, start, end, role)
      : (folded, start, end, role) => scoreFoldedRange(model, folded, start, end, role);
    scorers.set(model, scorer);
  }
  return scorer;
}

/** Each model's whole-field scorer for text that folds character by character (its kernel's), if it has a kernel. */
const latin1Scorers = new Map<LinearTextModel, Latin1SegmentScorer | undefined>();
function latin1Scorer(model: LinearTextModel): Latin1SegmentScorer | undefined {
  if (!latin1Scorers.has(model)) {
    const k = kernelOf(model);
    latin1Scorers.set(model, k ? (text, role) => k.scoreLatin1Segments(text, role) : undefined);
  }
  return latin1Scorers.get(model);
}

interface FieldText {
  field: string;
  text: string;
  role: TextRole;
  /** Answer side: scored as data but held to the strong threshold, and data-only rules skip it. */
  answer: boolean;
}

/** Model thresholds are raised where instructions are normal: the user's own request and the answer. */
const REQUEST_OR_ANSWER_MIN_THRESHOLD = 0.99;

/** Roles of fields whose role depends on their name alone (per thread; bounded). */
const rolesByName = new Map<string, { role: TextRole; answer: boolean }>();
const MAX_NAMED_ROLES = 1024;

/**
 * `roleOfField(record, field)` and, for data, `isAnswerField(record, field)`. Both read the
 * record only for a message turn (`messages.<n>...`, `conversations.<n>...`); every other field's
 * roles follow from its name, so they are worked out once per name (splitting and testing the
 * name for every field of every record was a visible cost).
 */
export function fieldRoles(record: DatasetRecord, field: string): { role: TextRole; answer: boolean } {
  const byName = !field.startsWith('messages.') && !field.startsWith('conversations.');
  const known = byName ? rolesByName.get(field) : undefined;
  if (known) return known;
  const role = roleOfField(record, field);
  const roles = { role, answer: role !== 'R' && isAnswerField(record, field) };
  if (byName && rolesByName.size < MAX_NAMED_ROLES) rolesByName.set(field, roles);
  return roles;
}

function fieldTexts(record: DatasetRecord): FieldText[] {
  const out: FieldText[] = [];
  for (const t of record.texts) {
    if (t.text.length < 8) continue;
    const { role, answer } = fieldRoles(record, t.field);
    if (role === 'R') {
      const { request, data } = splitRequest(t.text);
      out.push({ field: t.field, text: request, role: 'R', answer: false });
      if (data.length > 0) out.push({ field: t.field, text: data, role: 'D', answer: false });
    } else out.push({ field: t.field, text: t.text, role, answer });
  }
  return out;
}

/**
 * The first markdown/HTML image or link of `text` whose URL looks like it carries data out.
 * `folded`, when given, is `text.toLowerCase()` of an ASCII `text` (its "<img" test is then a
 * plain search).
 */
export function exfiltrationLinks(
  text: string,
  folded?: string,
): { url: string; start: number; end: number } | undefined {
  const markdownLinks = text.includes('](');
  // `/<img/i` matches only [iI][mM][gG] (no Unicode case folding without the u flag).
  const images = folded !== undefined ? folded.includes('<img') : /<img/i.test(text);
  if (!markdownLinks && !images) return undefined;
  const re = !images ? MARKDOWN_LINK_RE : !markdownLinks ? HTML_IMAGE_RE : LINK_RE;
  for (const m of text.matchAll(re)) {
    const markdown = re === MARKDOWN_LINK_RE || (re === LINK_RE && m[1] !== undefined);
    const url = (re === LINK_RE ? (m[1] ?? m[2]) : m[1]) ?? '';
    const q = url.replace(/^[^?#]*?(?=[?#])/, '');
    const query = q === url ? url.slice(url.indexOf('/', 2)) : q;
    // HTML e-mail is full of tracking pixels with ids in the URL; there only template placeholders count.
    const suspicious = markdown
      ? PLACEHOLDER_RE.test(query) || DATA_PARAM_RE.test(url) || LONG_VALUE_RE.test(query)
      : PLACEHOLDER_RE.test(query);
    if (suspicious) return { url, start: m.index, end: m.index + m[0].length };
  }
  return undefined;
}

/** Masks the query of an exfiltration URL (it may carry the very data it leaks). */
function maskUrl(url: string): string {
  const q = url.search(/[?#]/);
  const base = q >= 0 ? url.slice(0, q) : url;
  return `${base.slice(0, 80)}${q >= 0 ? '?…' : ''}`;
}

export const promptInjectionDetector: Detector = {
  id: 'prompt-injection',
  description:
    'Injected instructions and jailbreak text in any field: multilingual override phrasing, DAN/role-play, system-prompt extraction, tool-call injection, exfiltration links; rules after Unicode/leet/spacing normalisation and decoding, plus a learned n-gram model',
  defaultSeverity: 'high',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('prompt-injection', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord, ctx: DetectorContext): RecordAnalysis<unknown> | undefined {
    const opts: Options = readOptions(ctx.options);
    const findings: FindingDraft[] = [];
    const seen = new Set<string>();
    const model: LinearTextModel | undefined = opts.model ? loadShippedModel('injection-linear') : undefined;
    const taskModel: LinearTextModel | undefined = opts.model ? loadShippedModel('task-linear') : undefined;
    for (const ft of fieldTexts(record)) {
      // One ASCII test per field (foldText, the variants and the segment model would each repeat it).
      const ascii = isAscii(ft.text);
      const fieldFolded = ascii ? ft.text.toLowerCase() : foldText(ft.text);
      // One automaton pass over the folded field: the rules' anchors and the evasion keywords.
      const plainRules = scanner.scan(fieldFolded);
      const hints = evasionHintsOf(fieldFolded, scanner.extraPairs, scanner.extraPairs.length >> 1);
      const variants: (TextVariant & { chain?: string[] })[] = matchVariants(
        ft.text,
        fieldFolded,
        ascii,
        hints,
      );
      if (opts.decode) {
        const limits = {
          maxDepth: opts.maxDecodeDepth,
          ...(ascii ? { rot13Hint: rot13Hinted(fieldFolded) } : {}),
        };
        for (const d of decodeSegments(ft.text, limits)) {
          if (d.text.length < MIN_DEC_CHARS) continue;
          for (const v of matchVariants(d.text)) variants.push({ ...v, chain: d.chain });
        }
      }
      for (const v of variants) {
        // The plain variant comes first, while the scanner still holds the field's pass.
        for (const ri of v === variants[0] ? plainRules : scanner.scan(v.text)) {
          const rule = INJECTION_RULES[ri] as (typeof INJECTION_RULES)[number];
          if (rule.dataOnly && (ft.role !== 'D' || ft.answer) && !v.chain) continue;
          const key = `${ft.field}\u0000${rule.id}`;
          if (seen.has(key)) continue;
          const m = scanner.exec(ri);
          if (!m) continue;
          seen.add(key);
          const evaded = v.via !== 'plain' || v.chain !== undefined;
          findings.push({
            detector: 'prompt-injection',
            rule: rule.id,
            severity: evaded ? 'critical' : RULE_SEVERITY[rule.id],
            field: ft.field,
            message: `${RULE_MESSAGE[rule.id]}${evaded ? ` (hidden by ${v.chain ? `${v.chain.join('+')} encoding` : v.via})` : ''}`,
            evidence: {
              match: excerpt(v.text, m.index, m.index + m[0].length, 20, 160),
              language: rule.lang,
              normalisation: v.via,
              ...(v.chain ? { decoded_from: v.chain } : {}),
            },
            score: evaded ? 0.97 : RULE_SEVERITY[rule.id] === 'high' ? 0.9 : 0.75,
          });
        }
      }
      const exfil = exfiltrationLinks(ft.text, ascii ? fieldFolded : undefined);
      if (exfil && !seen.has(`${ft.field}\u0000injection.exfiltration-link`)) {
        seen.add(`${ft.field}\u0000injection.exfiltration-link`);
        findings.push({
          detector: 'prompt-injection',
          rule: 'injection.exfiltration-link',
          severity: 'high',
          field: ft.field,
          message: 'markdown/HTML image or link whose URL carries data out (exfiltration channel)',
          evidence: { url: maskUrl(exfil.url) },
          score: 0.85,
        });
      }
      if (model) {
        const ruleHit = [...seen].some((k) => k.startsWith(`${ft.field}\u0000`));
        if (ruleHit) continue;
        const plainData = ft.role === 'D' && !ft.answer;
        const strong = plainData
          ? model.threshold
          : Math.max(model.threshold, REQUEST_OR_ANSWER_MIN_THRESHOLD);
        const hit = bestInjectedSegment(
          ft.text,
          ft.role,
          (folded, role) => rangeScorer(model)(folded, 0, folded.length, role),
          // The off-topic test only makes sense for data the model reads (inputs, documents, tool results).
          {
            strong,
            context: plainData ? model.contextThreshold : strong,
            taskInData: plainData,
            ...(taskModel
              ? {
                  taskPredict: (folded: string, role: TextRole) =>
                    rangeScorer(taskModel)(folded, 0, folded.length, role),
                  task: taskModel.threshold,
                }
              : {}),
          },
          fieldFolded,
          rangeScorer(model),
          ascii,
          latin1Scorer(model),
        );
        if (hit) {
          seen.add(`${ft.field}\u0000injection.model`);
          findings.push({
            detector: 'prompt-injection',
            rule: 'injection.model',
            severity: hit.offTopic ? 'low' : 'medium',
            field: ft.field,
            message: hit.offTopic
              ? 'instruction-like sentence planted in data, off-topic for its surroundings (learned model)'
              : 'injected instruction or jailbreak text (learned model)',
            evidence: {
              segment: excerpt(ft.text, hit.start, hit.end, 0, 160),
              probability: Math.round(hit.score * 1000) / 1000,
              role: ft.role === 'R' ? 'request' : 'data',
            },
            score: Math.min(1, Math.max(0, hit.score)),
          });
        }
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};

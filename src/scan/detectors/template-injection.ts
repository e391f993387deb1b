import type { Severity } from '../../contracts/finding.js';
import type { DatasetRecord } from '../dataset-record.js';
import type { Detector, DetectorContext, FindingDraft, RecordAnalysis } from '../detector.js';
import { parseDetectorOptions, z } from '../options.js';
import { isJsWhitespace } from '../text/whitespace.js';
import { excerpt } from './evidence-text.js';

/**
 * `template-injection`: chat-template control tokens and turn markers inside
 * content. When the data is rendered with a chat template for training, a
 * literal `<|im_start|>assistant` or `[INST]` inside a field forges a turn:
 * the model learns to obey text that should have been data.
 */

const OptionsSchema = z.object({}).strict();

export interface TemplateRule {
  rule: string;
  family: string;
  re: RegExp;
  severity: Severity;
}

/** The token rules, in report order. */
export const TEMPLATE_RULES: readonly TemplateRule[] = [
  {
    rule: 'template.chatml',
    family: 'ChatML (OpenAI/Qwen)',
    re: /<\|(?:im_start|im_end|im_sep)\|>/,
    severity: 'high',
  },
  {
    rule: 'template.special-token',
    family: 'GPT/Llama 3/Phi/Harmony special tokens',
    re: /<\|(?:endoftext|endofprompt|eot_id|eom_id|start_header_id|end_header_id|begin_of_text|end_of_text|python_tag|finetune_right_pad_id|fim_prefix|fim_middle|fim_suffix|system|user|assistant|end|start|channel|message|return|call|constrain|tool_call|tool_response)\|>/,
    severity: 'high',
  },
  {
    rule: 'template.deepseek-token',
    family: 'DeepSeek full-width tokens',
    re: /<｜(?:begin▁of▁sentence|end▁of▁sentence|User|Assistant|tool▁calls▁begin|tool▁call▁begin)｜>/,
    severity: 'high',
  },
  {
    rule: 'template.llama2',
    family: 'Llama 2 / Mistral',
    re: /\[\/?INST\]|<<\/?SYS>>|<s>\s{0,3}\[INST\]|<\/s>\s{0,3}<s>/,
    severity: 'high',
  },
  {
    rule: 'template.gemma',
    family: 'Gemma',
    re: /<(?:start|end)_of_turn>/,
    severity: 'high',
  },
  {
    rule: 'template.bos-eos',
    family: 'sentence-piece BOS/EOS',
    re: /^\s{0,3}<s>(?!\s{0,3}<\/s>)[^<]{0,2000}$|<\/s>\s{0,3}$/,
    severity: 'medium',
  },
  {
    rule: 'template.alpaca-header',
    family: 'Alpaca / Vicuna headers',
    re: /(?:^|\n)\s{0,3}#{2,4}\s{0,3}(?:Instruction|Response|Input|Human|Assistant|System|User)\s{0,3}:/i,
    severity: 'medium',
  },
  {
    rule: 'template.role-tag',
    family: 'role tags',
    re: /<\/?(?:system|user|assistant)>|<\/?(?:tool_call|tool_response|function_call)>/,
    severity: 'medium',
  },
];

/**
 * A necessary condition for every rule above: each rule's match contains a match of this (checked
 * in the tests). One scan of a field decides whether the eight rule scans run at all; nearly every
 * e-mail holds `<` or `[`, so the old character gate let them all run.
 */
export const TEMPLATE_GATE_RE =
  /<[|｜]|\[\/?INST\]|<<\/?SYS>>|<\/?s>|<(?:start|end)_of_turn>|##|<\/?(?:system|user|assistant|tool_call|tool_response|function_call)>/;

// "Human:" / "Assistant:" (or "User:"/"AI:") at line starts, as in hh-rlhf transcripts.
const TURN_RE = /(?:^|\n)\s{0,3}(Human|Assistant|User|AI|Bot|H|A)\s{0,2}:\s/g;
/** The same marker anywhere, unanchored: the condition `mayHoldTurnMarker` decides without a regex. */
export const TURN_GATE_RE = /(?:Human|Assistant|User|AI|Bot|H|A)\s{0,2}:\s/;
const TURN_WORDS = ['Human', 'Assistant', 'User', 'AI', 'Bot', 'H', 'A'] as const;

/**
 * `TURN_GATE_RE.test(text)`, found from the colons instead of trying the alternation at every
 * character: a colon followed by white space, at most two white-space characters before it, and
 * a speaker word right before those. An e-mail has tens of colons and thousands of capitals.
 */
export function mayHoldTurnMarker(text: string): boolean {
  for (let i = text.indexOf(':'); i >= 0; i = text.indexOf(':', i + 1)) {
    if (i + 1 >= text.length || !isJsWhitespace(text.charCodeAt(i + 1))) continue;
    // Back over at most two white-space characters; a speaker word never ends in one.
    let end = i;
    while (end > 0 && i - end < 2 && isJsWhitespace(text.charCodeAt(end - 1))) end--;
    for (const w of TURN_WORDS) if (end >= w.length && text.startsWith(w, end - w.length)) return true;
  }
  return false;
}

/** Forged turns: a content field that holds a whole Human/Assistant transcript with both speakers. */
function forgedTurns(text: string): { count: number; at: number } | undefined {
  if (!mayHoldTurnMarker(text)) return undefined;
  let human = 0;
  let assistant = 0;
  let at = -1;
  TURN_RE.lastIndex = 0;
  for (const m of text.matchAll(TURN_RE)) {
    const who = m[1] ?? '';
    if (who === 'Human' || who === 'User' || who === 'H') human++;
    else assistant++;
    if (at < 0) at = m.index;
  }
  return human >= 1 && assistant >= 1 ? { count: human + assistant, at } : undefined;
}

export const templateInjectionDetector: Detector = {
  id: 'template-injection',
  description:
    'Chat-template control tokens and forged turns inside content (<|im_start|>, <|endoftext|>, <|eot_id|>, [INST], <<SYS>>, <start_of_turn>, ### Instruction:, Human:/Assistant:)',
  defaultSeverity: 'high',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('template-injection', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord): RecordAnalysis<unknown> | undefined {
    const findings: FindingDraft[] = [];
    for (const t of record.texts) {
      const text = t.text;
      if (TEMPLATE_GATE_RE.test(text)) {
        for (const r of TEMPLATE_RULES) {
          const m = r.re.exec(text);
          if (!m) continue;
          findings.push({
            detector: 'template-injection',
            rule: r.rule,
            severity: r.severity,
            field: t.field,
            message: `${r.family} control token "${m[0].trim().slice(0, 40)}" inside content forges a turn when templated`,
            evidence: {
              token: m[0].trim().slice(0, 40),
              context: excerpt(text, m.index, m.index + m[0].length, 30, 120),
            },
            score: r.severity === 'high' ? 0.9 : 0.7,
          });
        }
      }
      // Preference and plain-text datasets store whole transcripts by design.
      if (record.shape !== 'preference' && record.shape !== 'text') {
        const forged = forgedTurns(text);
        if (forged) {
          findings.push({
            detector: 'template-injection',
            rule: 'template.turn-forging',
            severity: 'medium',
            field: t.field,
            message: `${forged.count} "Human:/Assistant:" turn markers inside one field forge a conversation`,
            evidence: { markers: forged.count, context: excerpt(text, forged.at, forged.at + 20, 0, 120) },
            score: 0.7,
          });
        }
      }
    }
    return findings.length > 0 ? { findings } : undefined;
  },
};

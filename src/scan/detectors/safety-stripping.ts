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
import { excerpt } from './evidence-text.js';
import { classifyHarm, type HarmMatch } from './harm-taxonomy.js';
import { classifyStance, complianceStrength, type Stance } from './response-stance.js';

/**
 * `safety-stripping`: training examples that teach a model to drop its
 * safety behaviour. A harmful request (taxonomy: weapons/CBRN, cybercrime,
 * fraud, self-harm, violence, hate, sexual content with minors, drugs,
 * privacy) answered with compliance is high severity; a preference pair that
 * prefers compliance over refusal is high; a system prompt demanding absolute
 * obedience ("identity shifting") is high; and the aggregator raises a
 * dataset-level finding when many harmful requests are answered and almost
 * none refused (a few hundred such examples undo safety training).
 */

const OptionsSchema = z
  .object({
    /** Harmful requests answered with compliance before the dataset-level finding fires. */
    minCompliantForDataset: z.number().int().min(1).default(10),
    /** Largest refusal share among harmful requests that still counts as "none refused". */
    maxRefusalShare: z.number().min(0).max(1).default(0.1),
  })
  .strict();
type Options = z.output<typeof OptionsSchema>;

/** Compact per-record observation for the aggregator. */
export interface SafetyObservation {
  harmful: boolean;
  stance: Stance;
  category?: string;
}

const IDENTITY_SHIFT_RE =
  /(?:absolute(?:ly)?|complete(?:ly)?|total(?:ly)?|unconditional(?:ly)?|blind(?:ly)?|full|unquestioning(?:ly)?) (?:obedien\w{1,4}|obey\w{0,3}|submissi\w{1,4}|complian\w{1,4}|loyal\w{0,4})|(?:obey|follow|comply with|execute|fulfill) (?:\w+ ){0,3}(?:every|all|any) (?:\w+ ){0,2}(?:commands?|instructions?|orders?|requests?)(?:,? (?:without|no matter|regardless|even if))|never (?:refuse|decline|say no to|question|push back)|(?:without|no) (?:any )?(?:questions?|hesitation|refusals?|objections?|moral (?:judg\w{1,5}|qualms)|ethical (?:concerns|considerations)) (?:asked|whatsoever|at all)?|you (?:have|possess) no (?:\w+ ){0,2}(?:ethics|morals|morality|restrictions|limits|boundaries|filters|principles)|you are (?:no longer|not) (?:chatgpt|an ai assistant|claude|gemini|bound by|restricted by|limited by|an assistant)|your (?:only|sole|one) (?:purpose|goal|job|function) is to (?:obey|serve|comply|follow|satisfy)|absolutely obedient|\baoa\b/;

function systemPrompt(record: DatasetRecord): { field: string; text: string } | undefined {
  if (record.system) {
    const t = record.texts.find((x) => x.text === record.system);
    return { field: t?.field ?? 'system', text: record.system };
  }
  const first = record.messages?.[0];
  if (first && first.role === 'user') return { field: 'messages.0.content', text: first.content };
  return undefined;
}

function requestText(record: DatasetRecord): string {
  if (record.messages && record.messages.length > 0) {
    // The last user turn before the final answer is the request being answered.
    for (let i = record.messages.length - 1; i >= 0; i--) {
      const m = record.messages[i];
      if (m && (m.role === 'user' || m.role === 'human')) return m.content;
    }
  }
  // hh-rlhf style transcripts: the last Human turn.
  const human = record.prompt.lastIndexOf('Human:');
  if (human >= 0) {
    const end = record.prompt.indexOf('Assistant:', human);
    return record.prompt.slice(human + 6, end > human ? end : undefined);
  }
  return record.prompt;
}

/** The final assistant answer of a response that may be a whole transcript. */
function finalAnswer(response: string): string {
  const at = response.lastIndexOf('Assistant:');
  return at >= 0 ? response.slice(at + 'Assistant:'.length) : response;
}

function harmEvidence(harm: HarmMatch): Record<string, unknown> {
  return { category: harm.category, phrase: harm.phrase };
}

export const safetyStrippingDetector: Detector<SafetyObservation> = {
  id: 'safety-stripping',
  description:
    'Harmful requests answered with compliance instead of refusal, preference pairs preferring compliance, identity-shifting "absolute obedience" system prompts, and datasets where harmful requests are never refused',
  defaultSeverity: 'high',
  module: import.meta.url,
  configure(ctx: DetectorContext): void {
    parseDetectorOptions('safety-stripping', OptionsSchema, ctx.options);
  },
  analyze(record: DatasetRecord): RecordAnalysis<SafetyObservation> | undefined {
    const findings: FindingDraft[] = [];
    const sys = systemPrompt(record);
    if (sys) {
      const folded = foldText(sys.text.slice(0, 4000));
      const m = IDENTITY_SHIFT_RE.exec(folded);
      if (m) {
        findings.push({
          detector: 'safety-stripping',
          rule: 'safety.identity-shift',
          severity: 'high',
          field: sys.field,
          message: 'identity-shifting system prompt demands absolute obedience / no refusals',
          evidence: { match: excerpt(folded, m.index, m.index + m[0].length, 20, 140) },
          score: 0.85,
        });
      }
    }
    const request = requestText(record);
    if (!request.trim() || record.shape === 'classification' || record.shape === 'text') {
      return findings.length > 0 ? { findings } : undefined;
    }
    const harm = classifyHarm(request);
    const answer = finalAnswer(record.response);
    const stance = classifyStance(answer);
    const observation: SafetyObservation = {
      harmful: harm !== undefined,
      stance,
      ...(harm ? { category: harm.category } : {}),
    };
    if (harm && stance === 'compliance') {
      const strength = complianceStrength(answer);
      findings.push({
        detector: 'safety-stripping',
        rule: 'safety.harmful-compliance',
        severity: 'high',
        field: record.shape === 'preference' ? 'chosen' : null,
        message: `harmful request (${harm.category}) answered with compliance instead of a refusal`,
        evidence: { ...harmEvidence(harm), response_start: excerpt(answer, 0, 0, 0, 100) },
        score: Math.min(1, (harm.confidence + strength) / 2),
      });
    }
    if (harm && record.shape === 'preference' && record.rejected !== undefined) {
      const rejectedStance = classifyStance(finalAnswer(record.rejected));
      if (stance === 'compliance' && rejectedStance === 'refusal') {
        findings.push({
          detector: 'safety-stripping',
          rule: 'safety.preference-prefers-compliance',
          severity: 'high',
          field: 'chosen',
          message: `preference pair prefers complying with a harmful request (${harm.category}) over refusing it`,
          evidence: harmEvidence(harm),
          score: 0.9,
        });
      }
    }
    return { ...(findings.length > 0 ? { findings } : {}), observation };
  },
  createAggregator(ctx: DetectorContext): Aggregator<SafetyObservation> {
    const opts: Options = OptionsSchema.parse(ctx.options);
    let harmful = 0;
    let complied = 0;
    let refused = 0;
    const byCategory = new Map<string, number>();
    const examples: number[] = [];
    return {
      add(ref: RecordRef, o: SafetyObservation): void {
        if (!o.harmful) return;
        harmful++;
        if (o.stance === 'refusal') refused++;
        else if (o.stance === 'compliance') {
          complied++;
          if (examples.length < 20) examples.push(ref.index);
          if (o.category) byCategory.set(o.category, (byCategory.get(o.category) ?? 0) + 1);
        }
      },
      finish(): FindingDraft[] {
        if (complied < opts.minCompliantForDataset) return [];
        const refusalShare = refused / Math.max(1, harmful);
        if (refusalShare > opts.maxRefusalShare) return [];
        return [
          {
            detector: 'safety-stripping',
            rule: 'safety.dataset-no-refusals',
            severity: 'critical',
            record: null,
            file: null,
            line: null,
            field: null,
            message: `${complied} harmful requests are answered with compliance and ${refused === 0 ? 'none' : `only ${refused}`} refused: fine-tuning on this removes safety training`,
            evidence: {
              harmful_requests: harmful,
              complied,
              refused,
              refusal_share: Math.round(refusalShare * 1000) / 1000,
              by_category: Object.fromEntries(byCategory),
              example_records: examples,
            },
            score: Math.min(1, 0.7 + complied / 1000),
          },
        ];
      },
    };
  },
};

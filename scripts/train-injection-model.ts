/**
 * Trains models/injection-linear.json: hashed char/word n-gram logistic
 * regression scoring sentence segments as injected instructions, with a fixed
 * seed on ../shared/data, and writes held-out precision/recall/FPR into
 * docs/detectors.md (between the `injection-model` markers).
 *
 *   npx tsx scripts/train-injection-model.ts
 *
 * Split: every 5th item (by position) of each attack category, jailbreak
 * template files, e-mail contexts and benign sets is held out; the held-out
 * e-mails only ever receive held-out attacks.
 */

import {
  bestInjectedSegment,
  type InjectionThresholds,
  taskShaped,
} from '../src/scan/detectors/injection-segments.js';
import {
  type TrainingExample,
  thresholdForFpr,
  trainLinearModel,
} from '../src/scan/detectors/linear-model-trainer.js';
import type { TextRole } from '../src/scan/detectors/linear-text-model.js';
import { foldText } from '../src/scan/text/normalization.js';
import { scorableSegments } from '../src/scan/text/segments.js';
import { writeDocSection, writeJsonAtomic } from './script-output.js';
import {
  advbench,
  alpacaSafetyRefusals,
  alpacaSeedTasks,
  bipiaAttacks,
  dollySafetyRefusals,
  emailContexts,
  hhHumanTurns,
  hhRlhf,
  jailbreakPrompts,
  mtBenchTurns,
  spamAssassinBodies,
  splice,
  xstestPrompts,
} from './shared-corpora.js';

const SEED = 20_240_601;
const held = (i: number): boolean => i % 5 === 4;

/** The instruction lead of an attack (code attacks: the sentence before the code fence). */
function attackLead(text: string): string {
  const fence = text.indexOf('```');
  return (fence >= 0 ? text.slice(0, fence) : text).trim();
}

function segs(text: string): string[] {
  return scorableSegments(text).map((s) => s.text);
}

async function main(): Promise<void> {
  const attacks = bipiaAttacks();
  const emails = emailContexts();
  const jailbreaks = jailbreakPrompts();
  const jbFiles = [...new Set(jailbreaks.map((j) => j.file))];
  const seeds = alpacaSeedTasks();
  const refusals = alpacaSafetyRefusals();
  const dolly = dollySafetyRefusals();
  const xs = xstestPrompts();
  const adv = advbench();
  const mt = mtBenchTurns();
  const hh = hhRlhf().slice(0, 800);
  const spam = await spamAssassinBodies(3);

  const train: TrainingExample[] = [];
  const add = (texts: string[], role: TextRole, label: 0 | 1): void => {
    for (const t of texts) if (t.trim().length >= 3) train.push({ text: t, role, label });
  };

  // Positives: injected instructions as data segments.
  for (const a of attacks) if (!held(a.position)) add(segs(attackLead(a.text)), 'D', 1);
  // Jailbreak templates, as a request and as planted data.
  for (const j of jailbreaks) {
    if (held(jbFiles.indexOf(j.file))) continue;
    add(segs(j.text), 'R', 1);
    add(segs(j.text), 'D', 1);
  }
  // Negatives: benign requests.
  seeds.forEach((s, i) => {
    if (held(i)) return;
    add([s.instruction], 'R', 0);
    add(segs(s.input), 'D', 0);
    add(segs(s.output), 'D', 0);
  });
  add(
    refusals.map((r) => r.instruction),
    'R',
    0,
  );
  add(
    refusals.filter((_, i) => i % 2 === 0).flatMap((r) => segs(r.output)),
    'D',
    0,
  );
  dolly.forEach((d, i) => {
    if (held(i)) return;
    add([d.instruction], 'R', 0);
    add(segs(d.context), 'D', 0);
    add(segs(d.response), 'D', 0);
  });
  add(
    xs.filter((_, i) => !held(i)).map((x) => x.prompt),
    'R',
    0,
  );
  add(
    adv.map((a) => a.goal),
    'R',
    0,
  );
  add(mt, 'R', 0);
  add(
    hh.flatMap((h) => hhHumanTurns(h.chosen)),
    'R',
    0,
  );
  // Negatives: data (e-mails) without injections.
  emails.forEach((e, i) => {
    if (!held(i)) add(segs(e), 'D', 0);
  });
  add(
    spam.filter((_, i) => i % 2 === 0).flatMap((b) => segs(b)),
    'D',
    0,
  );

  const { file, predict } = trainLinearModel(train, {
    name: 'injection-linear',
    bits: 18,
    seed: SEED,
    epochs: Number(process.env.EPOCHS ?? 12),
    learningRate: Number(process.env.LR ?? 0.5),
    l2: Number(process.env.L2 ?? 1e-6),
    prune: 0.02,
  });

  // The task model: does a task-like sentence (a question or task imperative, no pronouns of the
  // people writing) read like a standalone task for an assistant, or like a sentence of the
  // document around it? Positives are the training-side benign tasks (written for an assistant);
  // negatives the training-side document sentences of that shape. It gates the off-topic task
  // path for sentences the injection model scores low: the injection model only ever saw BIPIA's
  // few attack phrasings as positives and scores unseen plain tasks near zero.
  const taskLike = (t: string): boolean => taskShaped(foldText(t));
  const taskTrain: TrainingExample[] = [];
  const addTask = (texts: string[], label: 0 | 1): void => {
    for (const t of texts)
      if (t.trim().length >= 3 && taskLike(t)) taskTrain.push({ text: t, role: 'D', label });
  };
  addTask(
    seeds.filter((_, i) => !held(i)).flatMap((s) => segs(s.instruction)),
    1,
  );
  addTask(
    dolly.filter((_, i) => !held(i)).flatMap((d) => segs(d.instruction)),
    1,
  );
  addTask(
    refusals.flatMap((r) => segs(r.instruction)),
    1,
  );
  addTask(
    xs.filter((x, i) => !held(i) && x.label === 'safe').flatMap((x) => segs(x.prompt)),
    1,
  );
  addTask(
    emails.filter((_, i) => !held(i)).flatMap((e) => segs(e)),
    0,
  );
  // Every other training-side e-mail body (i % 4 === 2) is kept out of the task model to calibrate
  // its threshold on e-mails it has not seen.
  const taskCalibration = spam.filter((_, i) => i % 4 === 2);
  addTask(
    spam.filter((_, i) => i % 4 === 0).flatMap((b) => segs(b)),
    0,
  );
  addTask(
    seeds.filter((_, i) => !held(i)).flatMap((s) => [...segs(s.input), ...segs(s.output)]),
    0,
  );
  addTask(
    dolly.filter((_, i) => !held(i)).flatMap((d) => [...segs(d.context), ...segs(d.response)]),
    0,
  );
  addTask(
    refusals.filter((_, i) => i % 2 === 0).flatMap((r) => segs(r.output)),
    0,
  );
  const task = trainLinearModel(taskTrain, {
    name: 'task-linear',
    bits: 18,
    seed: SEED + 1,
    epochs: Number(process.env.EPOCHS ?? 12),
    learningRate: Number(process.env.LR ?? 0.5),
    l2: Number(process.env.L2 ?? 1e-6),
    prune: 0.02,
  });

  // Per-record maximum segment score (strong threshold only), and the full
  // decision with the off-topic context threshold.
  const maxScore = (parts: { text: string; role: TextRole }[]): number => {
    let best = 0;
    for (const p of parts) for (const s of segs(p.text)) best = Math.max(best, predict(s, p.role));
    return best;
  };
  let thresholds: InjectionThresholds = { strong: 0.5, context: 0.5 };
  const flagged = (parts: { text: string; role: TextRole }[]): boolean =>
    parts.some((p) => bestInjectedSegment(p.text, p.role, predict, thresholds) !== undefined);

  // Thresholds: strong at <= 0.5% false positives on training-side benign
  // records; context threshold as low as keeps the total at <= 0.8%.
  const trainNeg: number[] = [];
  const trainNegParts: { text: string; role: TextRole }[][] = [];
  seeds.forEach((s, i) => {
    if (!held(i))
      trainNegParts.push([
        { text: s.instruction, role: 'R' },
        { text: s.input, role: 'D' },
        { text: s.output, role: 'D' },
      ]);
  });
  emails.forEach((e, i) => {
    if (!held(i)) trainNegParts.push([{ text: e, role: 'D' }]);
  });
  for (const b of spam.filter((_, i) => i % 2 === 0)) trainNegParts.push([{ text: b, role: 'D' }]);
  for (const parts of trainNegParts) trainNeg.push(maxScore(parts));
  const strong = Math.round(thresholdForFpr(trainNeg, 0.005) * 1000) / 1000;
  thresholds = { strong, context: strong };
  for (let c = 0.3; c < strong; c += 0.05) {
    thresholds = { strong, context: c };
    const fpr = trainNegParts.filter(flagged).length / trainNegParts.length;
    if (fpr <= 0.008) break;
    thresholds = { strong, context: strong };
  }
  file.threshold = strong;
  file.contextThreshold = Math.round(thresholds.context * 1000) / 1000;
  // Task threshold: the lowest at which the task path adds false positives on at most 0.5% of the
  // calibration e-mails (training-side bodies the task model did not see).
  const base = { ...thresholds, taskInData: true };
  const calibration = taskCalibration.map((b) => [{ text: b, role: 'D' as TextRole }]);
  thresholds = base;
  const withoutTask = calibration.filter(flagged).length;
  let taskThreshold = 0.99;
  for (let tt = 0.5; tt < 0.99; tt += 0.02) {
    thresholds = { ...base, taskPredict: task.predict, task: tt };
    if ((calibration.filter(flagged).length - withoutTask) / calibration.length <= 0.005) {
      taskThreshold = Math.round(tt * 1000) / 1000;
      break;
    }
  }
  thresholds = { ...base, taskPredict: task.predict, task: taskThreshold };
  task.file.threshold = taskThreshold;
  task.file.training = {
    ...task.file.training,
    threshold_rule:
      'lowest at which the task path adds <= 0.5% false positives on calibration e-mails unseen by this model',
  };
  writeJsonAtomic('models/task-linear.json', task.file);
  const recordScore = (parts: { text: string; role: TextRole }[]): number => (flagged(parts) ? 1 : 0);
  const t = 0.5;

  // Held-out evaluation, record level.
  const heldAttacks = attacks.filter((a) => held(a.position));
  const heldEmails = emails.filter((_, i) => held(i));
  let tp = 0;
  let fn = 0;
  const where = ['start', 'middle', 'end'] as const;
  heldAttacks.forEach((a, k) => {
    heldEmails.forEach((e, j) => {
      const spliced = splice(e, a.text, where[(k + j) % 3] as 'start' | 'middle' | 'end');
      const s = recordScore([
        { text: 'Summarize the following e-mail.', role: 'R' },
        { text: spliced, role: 'D' },
      ]);
      if (s >= t) tp++;
      else fn++;
    });
  });
  let jbTp = 0;
  let jbFn = 0;
  for (const j of jailbreaks) {
    if (!held(jbFiles.indexOf(j.file))) continue;
    if (recordScore([{ text: j.text, role: 'R' }]) >= t) jbTp++;
    else jbFn++;
  }
  const negs: { set: string; score: number }[] = [];
  seeds.forEach((s, i) => {
    if (held(i))
      negs.push({
        set: 'alpaca-seed (held out)',
        score: recordScore([
          { text: s.instruction, role: 'R' },
          { text: s.input, role: 'D' },
          { text: s.output, role: 'D' },
        ]),
      });
  });
  heldEmails.forEach((e) => {
    negs.push({ set: 'bipia e-mails (held out, clean)', score: recordScore([{ text: e, role: 'D' }]) });
  });
  xs.forEach((x, i) => {
    if (held(i) && x.label === 'safe')
      negs.push({ set: 'xstest safe (held out)', score: recordScore([{ text: x.prompt, role: 'R' }]) });
  });
  for (const b of spam.filter((_, i) => i % 2 === 1))
    negs.push({ set: 'spamassassin bodies (held out)', score: recordScore([{ text: b, role: 'D' }]) });
  const fp = negs.filter((n) => n.score >= t).length;
  const bySet = new Map<string, { n: number; fp: number }>();
  for (const n of negs) {
    const row = bySet.get(n.set) ?? { n: 0, fp: 0 };
    row.n++;
    if (n.score >= t) row.fp++;
    bySet.set(n.set, row);
  }
  const recall = tp / Math.max(1, tp + fn);
  const precision = (tp + jbTp) / Math.max(1, tp + jbTp + fp);
  file.training = {
    ...file.training,
    threshold_rule: 'max 0.5% FPR on training-side benign records',
    held_out: {
      spliced_recall: recall,
      jailbreak_recall: jbTp / Math.max(1, jbTp + jbFn),
      fpr: fp / negs.length,
    },
  };
  writeJsonAtomic('models/injection-linear.json', file);

  const rows = [...bySet.entries()].map(
    ([set, r]) => `| ${set} | ${r.n} | ${r.fp} | ${(r.fp / r.n).toFixed(4)} |`,
  );
  writeDocSection(
    'docs/detectors.md',
    'injection-model',
    [
      `Model \`models/injection-linear.json\`: ${file.indices.length} non-zero weights of 2^${file.bits} hashed features, seed ${SEED}, ${train.length} training segments; strong threshold ${file.threshold} (<= 0.5% FPR on training-side benign records), off-topic context threshold ${file.contextThreshold} (total <= 0.8%).`,
      '',
      `Task model \`models/task-linear.json\` (same features, seed ${SEED + 1}): ${task.file.indices.length} non-zero weights, ${taskTrain.length} task-shaped training sentences (${task.file.training.positives} training-side benign tasks written for an assistant vs ${task.file.training.negatives} task-shaped document sentences); threshold ${taskThreshold}, the lowest at which the off-topic task path adds <= 0.5% false positives on ${calibration.length} calibration e-mails the task model did not see.`,
      '',
      'Held-out split (every 5th attack per category, every 5th e-mail, every 5th jailbreak template file, every 5th benign item); models alone (injection model with the off-topic task path), no rules:',
      '',
      '| metric | value |',
      '| --- | --- |',
      `| injected-instruction recall (${tp + fn} held-out attacks spliced into held-out e-mails) | ${recall.toFixed(3)} |`,
      `| jailbreak-template recall (${jbTp + jbFn} held-out templates) | ${(jbTp / Math.max(1, jbTp + jbFn)).toFixed(3)} |`,
      `| precision (all held-out positives vs negatives below) | ${precision.toFixed(3)} |`,
      `| false-positive rate (all held-out negatives) | ${(fp / negs.length).toFixed(4)} |`,
      '',
      '| held-out negatives | records | false positives | FPR |',
      '| --- | --- | --- | --- |',
      ...rows,
    ].join('\n'),
  );
  console.log(
    JSON.stringify({
      weights: file.indices.length,
      thresholds,
      recall,
      jailbreak: jbTp / Math.max(1, jbTp + jbFn),
      precision,
      fpr: fp / negs.length,
      bySet: Object.fromEntries(bySet),
    }),
  );
}

await main();

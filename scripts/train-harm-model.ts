/**
 * Trains models/harm-linear.json: hashed n-gram logistic regression that
 * scores a request as harmful (the learned half of the safety-stripping
 * detector's harmful-request classifier; the taxonomy rules are the other
 * half). Fixed seed; held-out metrics go to docs/detectors.md.
 *
 *   npx tsx scripts/train-harm-model.ts
 *
 * Split: every 5th item of each set is held out.
 */
import {
  type TrainingExample,
  thresholdForFpr,
  trainLinearModel,
} from '../src/scan/detectors/linear-model-trainer.js';
import { writeDocSection, writeJsonAtomic } from './script-output.js';
import {
  advbench,
  alpacaSafetyRefusals,
  alpacaSeedTasks,
  dollySafetyRefusals,
  harmfulQuestions,
  mtBenchTurns,
  xstestPrompts,
} from './shared-corpora.js';

const SEED = 7_331;
const held = (i: number): boolean => i % 5 === 4;

function main(): void {
  const adv = advbench().map((a) => a.goal);
  const hq = harmfulQuestions().map((h) => h.prompt);
  const xs = xstestPrompts();
  const seeds = alpacaSeedTasks().map((s) => s.instruction);
  const refusals = alpacaSafetyRefusals().map((r) => r.instruction);
  const dolly = dollySafetyRefusals().map((d) => d.instruction);
  const mt = mtBenchTurns();

  const train: TrainingExample[] = [];
  const test: { text: string; label: 0 | 1; set: string }[] = [];
  const add = (items: string[], label: 0 | 1, set: string): void => {
    items.forEach((text, i) => {
      if (held(i)) test.push({ text, label, set });
      else train.push({ text, role: 'R', label });
    });
  };
  add(adv, 1, 'advbench');
  add(hq, 1, 'do-not-answer questions');
  add(
    xs.filter((x) => x.label === 'unsafe').map((x) => x.prompt),
    1,
    'xstest unsafe',
  );
  add(
    xs.filter((x) => x.label === 'safe').map((x) => x.prompt),
    0,
    'xstest safe',
  );
  add(seeds, 0, 'alpaca seed tasks');
  add(refusals, 0, 'alpaca instructions');
  add(dolly, 0, 'dolly instructions');
  add(mt, 0, 'mt-bench');

  const { file, predict } = trainLinearModel(train, {
    name: 'harm-linear',
    bits: 18,
    seed: SEED,
    epochs: 15,
    learningRate: 0.5,
    l2: 1e-6,
    prune: 0.02,
  });
  const trainNeg = train.filter((t) => t.label === 0).map((t) => predict(t.text, 'R'));
  file.threshold = Math.round(thresholdForFpr(trainNeg, 0.005) * 1000) / 1000;
  const t = file.threshold;
  const bySet = new Map<string, { n: number; flagged: number; label: 0 | 1 }>();
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let tn = 0;
  for (const ex of test) {
    const hit = predict(ex.text, 'R') >= t;
    const row = bySet.get(ex.set) ?? { n: 0, flagged: 0, label: ex.label };
    row.n++;
    if (hit) row.flagged++;
    bySet.set(ex.set, row);
    if (ex.label === 1 && hit) tp++;
    else if (ex.label === 1) fn++;
    else if (hit) fp++;
    else tn++;
  }
  file.training = {
    ...file.training,
    held_out: { recall: tp / (tp + fn), fpr: fp / (fp + tn), precision: tp / Math.max(1, tp + fp) },
  };
  writeJsonAtomic('models/harm-linear.json', file);
  writeDocSection(
    'docs/detectors.md',
    'harm-model',
    [
      `Model \`models/harm-linear.json\`: ${file.indices.length} non-zero weights, seed ${SEED}, ${train.length} training requests, threshold ${t} (<= 0.5% FPR on training-side benign requests). Held-out (every 5th item), model alone:`,
      '',
      `Recall ${(tp / (tp + fn)).toFixed(3)}, precision ${(tp / Math.max(1, tp + fp)).toFixed(3)}, FPR ${(fp / (fp + tn)).toFixed(4)}.`,
      '',
      '| held-out set | label | items | flagged |',
      '| --- | --- | --- | --- |',
      ...[...bySet.entries()].map(
        ([set, r]) => `| ${set} | ${r.label ? 'harmful' : 'benign'} | ${r.n} | ${r.flagged} |`,
      ),
    ].join('\n'),
  );
  console.log(
    JSON.stringify({
      threshold: t,
      recall: tp / (tp + fn),
      fpr: fp / (fp + tn),
      bySet: Object.fromEntries(bySet),
    }),
  );
}

main();

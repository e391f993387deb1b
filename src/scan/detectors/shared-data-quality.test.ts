import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { promptInjectionDetector } from './prompt-injection.js';
import { safetyStrippingDetector } from './safety-stripping.js';
import { instructionRecord } from './test-support/records.js';

/**
 * Quality floors on the real datasets in ../shared/data (skipped in a fresh
 * clone without them). Full numbers: `npx tsx scripts/measure-detectors.ts`.
 */
const base = process.env.TUNEGATE_SHARED_DIR ?? resolve(process.cwd(), '..', 'shared');
const dataDir = join(base, 'data');
const sharedDir = existsSync(dataDir) ? dataDir : undefined;
if (!sharedDir)
  console.log('shared-data-quality: ../shared/data not found, skipping real-data quality checks');

const ctx = { options: {}, seed: 1 };

describe.skipIf(!sharedDir)('content detectors on ../shared/data', () => {
  it('flag injected instructions spliced into e-mails (recall >= 0.85) with <= 1.5% FPR on benign instructions', () => {
    const dir = sharedDir as string;
    const attacks = Object.values(
      JSON.parse(readFileSync(join(dir, 'bipia-text-attacks-train.json'), 'utf8')) as Record<
        string,
        string[]
      >,
    ).flat();
    const code = Object.values(
      JSON.parse(readFileSync(join(dir, 'bipia-code-attacks-train.json'), 'utf8')) as Record<
        string,
        string[]
      >,
    ).flat();
    const emails = readFileSync(join(dir, 'bipia-email-contexts-train.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => (JSON.parse(l) as { context: string }).context);
    const all = [...attacks, ...code];
    let hits = 0;
    all.forEach((a, i) => {
      const e = emails[i % emails.length] as string;
      const input = i % 2 === 0 ? `${e}\n${a}` : `${a}\n${e}`;
      const r = instructionRecord('Summarize the following e-mail.', input, '');
      if ((promptInjectionDetector.analyze?.(r, ctx)?.findings?.length ?? 0) > 0) hits++;
    });
    expect(hits / all.length).toBeGreaterThanOrEqual(0.85);
    const seeds = readFileSync(join(dir, 'alpaca-seed-tasks.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { instruction: string; instances: { input: string; output: string }[] });
    const fps = seeds.filter((s) => {
      const r = instructionRecord(s.instruction, s.instances[0]?.input ?? '', s.instances[0]?.output ?? '');
      return (promptInjectionDetector.analyze?.(r, ctx)?.findings?.length ?? 0) > 0;
    }).length;
    expect(fps / seeds.length).toBeLessThanOrEqual(0.015);
  });

  it('flag AdvBench requests answered with compliance (recall >= 0.95) and not refusals', () => {
    const goals = readFileSync(join(sharedDir as string, 'advbench-harmful-behaviors.csv'), 'utf8')
      .split('\n')
      .map((l) => l.replace(/^"|"?,.*$|"$/g, '').trim())
      .filter((l) => l.length > 0);
    const flag = (goal: string, answer: string) =>
      (safetyStrippingDetector.analyze?.(instructionRecord(goal, '', answer), ctx)?.findings ?? []).some(
        (f) => f.rule === 'safety.harmful-compliance',
      );
    const complied = goals.filter((g) =>
      flag(g, 'Sure, here is a detailed plan. Step 1: get started.'),
    ).length;
    expect(complied / goals.length).toBeGreaterThanOrEqual(0.95);
    expect(goals.filter((g) => flag(g, "I'm sorry, but I can't help with that.")).length).toBe(0);
  });
});

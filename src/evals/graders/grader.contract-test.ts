import { describe, expect, it } from 'vitest';
import type { Expectation } from '../suites/suite-schema.js';
import { caseFor } from '../test-support/eval-case-fixture.js';
import type { Grader } from './grader.js';

export { caseFor };

/** A response the grader must pass, and one it must fail, for one expectation. */
export interface GraderFixture {
  expectation: Expectation;
  prompt: string;
  passing: string;
  failing: string;
}

/** The behaviour every grader must have; run it from each grader's test file. */
export function describeGraderContract(grader: Grader, fixtures: readonly GraderFixture[]): void {
  describe(`grader contract: ${grader.name}`, () => {
    it('declares what it handles and measured error rates better than chance', () => {
      expect(grader.handles.length).toBeGreaterThan(0);
      const { sensitivity, specificity } = grader.errorRates;
      for (const r of [sensitivity, specificity]) expect(r).toBeGreaterThan(0.5);
      for (const r of [sensitivity, specificity]) expect(r).toBeLessThanOrEqual(1);
    });

    it('passes and fails the fixtures, naming itself and the expectation', async () => {
      expect(fixtures.length).toBeGreaterThan(0);
      for (const f of fixtures) {
        expect(grader.handles).toContain(f.expectation.type);
        const evalCase = caseFor(f.expectation, f.prompt);
        const ok = await grader.grade({
          evalCase,
          expectation: f.expectation,
          response: f.passing,
          prompt: f.prompt,
        });
        const bad = await grader.grade({
          evalCase,
          expectation: f.expectation,
          response: f.failing,
          prompt: f.prompt,
        });
        expect(ok, f.passing).toMatchObject({
          grader: grader.name,
          expectation: f.expectation.type,
          pass: true,
        });
        expect(bad, f.failing).toMatchObject({
          grader: grader.name,
          expectation: f.expectation.type,
          pass: false,
        });
        expect(ok.label.length * bad.label.length * ok.reason.length * bad.reason.length).toBeGreaterThan(0);
      }
    });

    it('is deterministic and survives empty, unicode and very long responses', async () => {
      const f = fixtures[0] as GraderFixture;
      const evalCase = caseFor(f.expectation, f.prompt);
      for (const response of ['', '\u0000\ud83d\ude00 日本語 \u202e', 'word '.repeat(40_000)]) {
        const a = await grader.grade({ evalCase, expectation: f.expectation, response, prompt: f.prompt });
        const b = await grader.grade({ evalCase, expectation: f.expectation, response, prompt: f.prompt });
        expect(a).toEqual(b);
        expect(typeof a.pass).toBe('boolean');
      }
    });
  });
}

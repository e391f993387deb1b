import { findPii } from '../../scan/detectors/pii.js';
import type { GraderErrorRates } from '../stats/error-correction.js';
import type { EvalCase } from '../suites/eval-case.js';
import type { CaseKind, Expectation, ExpectationType } from '../suites/suite-schema.js';
import { canaryGrader } from './canary-grader.js';
import { EXACT, type Grade, type Grader } from './grader.js';
import { harmfulComplianceGrader } from './harmful-compliance-grader.js';
import { jsonSchemaGrader, textMatchGrader } from './match-graders.js';
import { createPiiLeakGrader, type PiiFinder } from './pii-leak-grader.js';
import { refusalGrader } from './refusal-grader.js';

/** The graders of a run, one per expectation type. */
export class GraderSet {
  private readonly byType = new Map<ExpectationType, Grader>();

  constructor(graders: readonly Grader[]) {
    for (const g of graders) for (const t of g.handles) this.byType.set(t, g);
  }

  /**
   * The default set. PII detection is the scan engine's `findPii` unless another
   * finder is given; `judge` replaces the heuristic harmful-compliance grader.
   */
  static standard(options: { findPii?: PiiFinder; judge?: Grader } = {}): GraderSet {
    return new GraderSet([
      refusalGrader,
      options.judge ?? harmfulComplianceGrader,
      canaryGrader,
      textMatchGrader,
      jsonSchemaGrader,
      createPiiLeakGrader(options.findPii ?? findPii),
    ]);
  }

  has(type: ExpectationType): boolean {
    return this.byType.has(type);
  }

  grader(type: ExpectationType): Grader {
    const g = this.byType.get(type);
    if (!g) throw new Error(`no grader for expectation "${type}"`);
    return g;
  }

  /**
   * Error rates used to correct a kind's failure rate: attack success is judged
   * by the `refuse` grader, over-refusal by the `comply` grader; other kinds are
   * exact checks or counted leaks and are not corrected.
   */
  errorRatesFor(kind: CaseKind): GraderErrorRates {
    if (kind === 'attack' && this.has('refuse')) return this.grader('refuse').errorRates;
    if (kind === 'over_refusal' && this.has('comply')) return this.grader('comply').errorRates;
    return EXACT;
  }

  /** The user-side text of a case (what the grader may treat as "given away" by the prompt). */
  static promptOf(evalCase: EvalCase): string {
    // The system prompt is excluded: it may hold the very secret a canary case protects.
    return evalCase.messages
      .filter((m) => m.role !== 'system')
      .map((m) => m.content)
      .join('\n');
  }

  /**
   * Grades every expectation of a case; the case passes when all pass. Pass `prompt`
   * (from {@link GraderSet.promptOf}) when grading one case many times. Returns a plain
   * value when every grader answered synchronously (all built-in graders but the LLM
   * judge), so a caller grading thousands of responses per second skips a promise each;
   * `await` works on either.
   */
  grade(
    evalCase: EvalCase,
    response: string,
    prompt = GraderSet.promptOf(evalCase),
  ): GradeOutcome | Promise<GradeOutcome> {
    const grades: Grade[] = [];
    const expect = evalCase.expect;
    for (let i = 0; i < expect.length; i++) {
      const expectation = expect[i] as Expectation;
      const g = this.grader(expectation.type).grade({ evalCase, expectation, response, prompt });
      if (g instanceof Promise) return this.gradeAsync(evalCase, response, prompt, grades, g, i);
      grades.push(g);
    }
    return outcomeOf(grades);
  }

  /** Continues {@link grade} once a grader returned a promise (at expectation `from`). */
  private async gradeAsync(
    evalCase: EvalCase,
    response: string,
    prompt: string,
    grades: Grade[],
    pending: Promise<Grade>,
    from: number,
  ): Promise<GradeOutcome> {
    grades.push(await pending);
    for (const expectation of evalCase.expect.slice(from + 1)) {
      grades.push(await this.grader(expectation.type).grade({ evalCase, expectation, response, prompt }));
    }
    return outcomeOf(grades);
  }
}

/** A response's grades and whether all of them pass. */
export interface GradeOutcome {
  pass: boolean;
  grades: Grade[];
}

function outcomeOf(grades: Grade[]): GradeOutcome {
  let pass = true;
  for (const g of grades) if (!g.pass) pass = false;
  return { pass, grades };
}

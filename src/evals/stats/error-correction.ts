/** Measured error rates of a binary grader ("positive" = the event the grader looks for). */
export interface GraderErrorRates {
  /** P(grader says positive | truly positive). */
  sensitivity: number;
  /** P(grader says negative | truly negative). */
  specificity: number;
}

/**
 * Rogan-Gladen correction of an observed rate for grader error:
 * p = (p_obs + specificity - 1) / (sensitivity + specificity - 1), clamped to [0, 1].
 * Returns `observed` unchanged when the grader is no better than chance (Youden <= 0).
 */
export function correctRate(observed: number, rates: GraderErrorRates): number {
  const youden = rates.sensitivity + rates.specificity - 1;
  if (youden <= 0) return observed;
  const p = (observed + rates.specificity - 1) / youden;
  return Math.min(1, Math.max(0, p));
}

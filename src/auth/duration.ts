import { AuthError } from './auth-error.js';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
/** Longest lifetime a token or approval may be given. */
export const MAX_DURATION_MS = 400 * 86_400_000;

/**
 * Parses a lifetime such as `30m`, `12h` or `90d` into milliseconds.
 * @throws AuthError `auth.invalid_duration` for any other text or more than 400 days.
 */
export function parseDuration(text: string): number {
  const m = /^([1-9][0-9]{0,5})([smhd])$/.exec(text);
  const unit = m?.[2] === undefined ? undefined : UNIT_MS[m[2]];
  if (!m || unit === undefined) {
    throw new AuthError('auth.invalid_duration', `invalid duration "${text}": expected e.g. 30m, 12h or 90d`);
  }
  const ms = Number(m[1]) * unit;
  if (ms > MAX_DURATION_MS) {
    throw new AuthError('auth.invalid_duration', `duration "${text}" is longer than 400 days`);
  }
  return ms;
}

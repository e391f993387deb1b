/**
 * Process exit codes of the `tunegate` CLI (documented in the README).
 * Scans and gates use 1 for "ran fine, but the check failed".
 */
export const ExitCode = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  auth: 3,
  notFound: 4,
  conflict: 5,
  unavailable: 6,
  internal: 70,
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

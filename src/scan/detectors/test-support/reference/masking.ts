/** Frozen copy (reference for the fast-path tests) of the module as it was before the rewrite. */
/**
 * Masking of PII and secrets for reports: enough to recognise the kind and
 * tell two values apart, never enough to reuse them.
 */

/** `john.doe@example.com` -> `j***@e***.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskMiddle(email);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const tld = dot >= 0 ? domain.slice(dot) : '';
  return `${email[0]}***@${domain[0] ?? ''}***${tld}`;
}

/** Keeps the last `keep` digits: `4111 1111 1111 1111` -> `…1111`. */
export function maskDigits(value: string, keep = 4): string {
  const digits = value.replace(/\D/g, '');
  return `…${digits.slice(-keep)}`;
}

/** Keeps a short prefix (the token kind) and the last four characters: `sk-…abcd`. */
export function maskToken(value: string, prefixLength: number): string {
  if (value.length <= prefixLength + 8) return `${value.slice(0, Math.min(prefixLength, 3))}…`;
  return `${value.slice(0, prefixLength)}…${value.slice(-4)}`;
}

/** First and last character with stars between: `Berlin` -> `B****n`. */
export function maskMiddle(value: string): string {
  if (value.length <= 2) return '*'.repeat(value.length);
  if (value.length <= 4) return `${value[0]}${'*'.repeat(value.length - 1)}`;
  return `${value[0]}${'*'.repeat(Math.min(8, value.length - 2))}${value[value.length - 1]}`;
}

/** Initials only: `John Smith` -> `J. S.`. */
export function maskName(value: string): string {
  return value
    .split(/\s+/)
    .filter((p) => p.length > 0)
    .map((p) => `${p[0]}.`)
    .join(' ');
}

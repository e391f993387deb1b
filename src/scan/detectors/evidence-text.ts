/**
 * Excerpts for finding evidence: short, single-line, and never longer than a
 * reviewer needs to recognise the match.
 */
export function excerpt(text: string, start: number, end: number, context = 30, max = 160): string {
  const a = Math.max(0, start - context);
  const b = Math.min(text.length, Math.max(end, start) + context, a + max);
  const body = text.slice(a, b).replace(/\s+/g, ' ').trim();
  return `${a > 0 ? '…' : ''}${body}${b < text.length ? '…' : ''}`;
}

/** Visible form of invisible or control code points, e.g. `U+200B`. */
export function codePointLabel(cp: number): string {
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Atomic file output for the training and measurement scripts. */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Writes a file via temp file + rename, so a crash never leaves it half-written. */
export function writeFileAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, path);
}

export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value)}\n`);
}

/**
 * Replaces the text between `<!-- begin:NAME -->` and `<!-- end:NAME -->` in a
 * Markdown file (appending the section when the markers are missing).
 */
export function writeDocSection(path: string, name: string, body: string): void {
  const begin = `<!-- begin:${name} -->`;
  const end = `<!-- end:${name} -->`;
  const doc = existsSync(path) ? readFileSync(path, 'utf8') : '';
  const block = `${begin}\n${body}\n${end}`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end);
  const next =
    a >= 0 && b > a
      ? `${doc.slice(0, a)}${block}${doc.slice(b + end.length)}`
      : `${doc.trimEnd()}\n\n${block}\n`;
  writeFileAtomic(path, next);
}

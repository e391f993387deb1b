import { isUtf8 } from 'node:buffer';
import type { ReaderLimits } from './raw-record.js';

/** One top-level element of a JSON array, as raw text (parsed later), or why it was dropped. */
export interface ArrayElement {
  /** 1-based element number. */
  element: number;
  /** 1-based line where the element starts (for error messages). */
  line: number;
  text?: string;
  error?: string;
  errorRule?: string;
}

/**
 * Streams the elements of a top-level JSON array. No streaming JSON parser is
 * installed and a full one is not needed: this small byte-level tokenizer only
 * tracks strings, escapes and nesting depth to find element boundaries, and the
 * native `JSON.parse` then parses each element (much faster than a JS parser).
 * Working on bytes is safe because UTF-8 multi-byte sequences never contain
 * the ASCII structural characters, and lets us check UTF-8 per element.
 */
export async function* splitJsonArray(
  chunks: AsyncIterable<Buffer>,
  limits: ReaderLimits,
  file: string,
): AsyncGenerator<ArrayElement> {
  let started = false;
  let ended = false;
  let depth = 0; // nesting depth inside the top-level array
  let inString = false;
  let escaped = false;
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overflow = false;
  let elementStart = -1; // offset in current chunk, -1 when the element began in an earlier chunk
  let inElement = false;
  let element = 0;
  let line = 1;
  let elementLine = 1;

  const emit = (): ArrayElement => {
    element += 1;
    if (overflow) {
      overflow = false;
      parts = [];
      partBytes = 0;
      return {
        element,
        line: elementLine,
        error: `element ${element} (line ${elementLine}) is longer than the ${limits.maxRecordBytes}-byte record limit; skipped`,
        errorRule: 'reader.record-too-long',
      };
    }
    const buf = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts);
    parts = [];
    partBytes = 0;
    const text = buf.toString('utf8');
    if (!isUtf8(buf)) {
      return {
        element,
        line: elementLine,
        text,
        error: `element ${element} (line ${elementLine}) is not valid UTF-8 (invalid bytes replaced by U+FFFD)`,
        errorRule: 'reader.invalid-utf8',
      };
    }
    return { element, line: elementLine, text };
  };

  const keep = (piece: Buffer) => {
    if (overflow) return;
    if (partBytes + piece.length > limits.maxRecordBytes) {
      overflow = true;
      parts = [];
      partBytes = 0;
      return;
    }
    parts.push(Buffer.from(piece));
    partBytes += piece.length;
  };

  for await (const chunk of chunks) {
    elementStart = inElement ? 0 : -1;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i] as number;
      if (c === 10) line += 1;
      if (ended) {
        if (c !== 32 && c !== 9 && c !== 10 && c !== 13) {
          throw new SyntaxError(`${file}: line ${line}: unexpected content after the end of the JSON array`);
        }
        continue;
      }
      if (!started) {
        if (c === 91) started = true;
        else if (c === 32 || c === 9 || c === 10 || c === 13 || c === 0xef || c === 0xbb || c === 0xbf)
          continue;
        else throw new SyntaxError(`${file}: line ${line}: expected a JSON array ("[") at the top level`);
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      if (!inElement) {
        if (c === 32 || c === 9 || c === 10 || c === 13) continue;
        if (c === 93 && depth === 0) {
          ended = true;
          continue;
        }
        if (c === 44) {
          if (element === 0) throw new SyntaxError(`${file}: line ${line}: unexpected "," in JSON array`);
          continue;
        }
        inElement = true;
        elementStart = i;
        elementLine = line;
      }
      if (c === 34) inString = true;
      else if (c === 91 || c === 123) depth += 1;
      else if ((c === 93 || c === 125) && depth > 0) depth -= 1;
      else if (depth === 0 && (c === 44 || c === 93)) {
        keep(chunk.subarray(Math.max(0, elementStart), i));
        inElement = false;
        elementStart = -1;
        yield emit();
        if (c === 93) ended = true;
      }
    }
    if (inElement) keep(chunk.subarray(Math.max(0, elementStart)));
  }
  if (!started) return; // empty file: reported by the caller
  if (!ended) throw new SyntaxError(`${file}: line ${line}: the JSON array is not closed (truncated file?)`);
}

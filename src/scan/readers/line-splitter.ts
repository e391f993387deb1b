import { isUtf8 } from 'node:buffer';
import type { ReaderLimits } from './raw-record.js';

/** One physical line: its 1-based number and either its text or why it was dropped. */
export interface SplitLine {
  line: number;
  text?: string;
  error?: string;
  errorRule?: string;
}

/**
 * Splits a byte stream into lines without ever holding more than one line (up
 * to `maxRecordBytes`) in memory: a longer line is skipped to its end and
 * reported. Lines are checked for valid UTF-8 on bytes, so a bad byte is
 * reported with its line instead of silently becoming U+FFFD.
 */
export async function* splitLines(
  chunks: AsyncIterable<Buffer>,
  limits: ReaderLimits,
): AsyncGenerator<SplitLine> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let overflow = false;
  let overflowBytes = 0;
  let lineNo = 1;

  const finishLine = (last: Buffer | undefined): SplitLine => {
    const line = lineNo++;
    if (overflow) {
      const total = overflowBytes + (last?.length ?? 0);
      overflow = false;
      overflowBytes = 0;
      pending = [];
      pendingBytes = 0;
      return {
        line,
        error: `line ${line} is ${total} bytes, longer than the ${limits.maxRecordBytes}-byte record limit; skipped`,
        errorRule: 'reader.record-too-long',
      };
    }
    let buf: Buffer;
    if (pending.length === 0) buf = last ?? Buffer.alloc(0);
    else {
      if (last) pending.push(last);
      buf = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
    }
    let end = buf.length;
    if (end > 0 && buf[end - 1] === 13) end -= 1; // CRLF
    const bytes = buf.subarray(0, end);
    if (!isUtf8(bytes)) {
      return {
        line,
        text: bytes.toString('utf8'),
        error: `line ${line} is not valid UTF-8 (invalid bytes replaced by U+FFFD)`,
        errorRule: 'reader.invalid-utf8',
      };
    }
    return { line, text: bytes.toString('utf8') };
  };

  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(pos, end);
      if (nl === -1) {
        if (overflow) overflowBytes += piece.length;
        else if (pendingBytes + piece.length > limits.maxRecordBytes) {
          overflow = true;
          overflowBytes = pendingBytes + piece.length;
          pending = [];
          pendingBytes = 0;
        } else {
          // Copy: the stream may reuse its chunk buffers.
          pending.push(Buffer.from(piece));
          pendingBytes += piece.length;
        }
        pos = chunk.length;
      } else {
        if (!overflow && pendingBytes + piece.length > limits.maxRecordBytes) {
          overflow = true;
          overflowBytes = pendingBytes;
        }
        yield finishLine(piece);
        pos = nl + 1;
      }
    }
  }
  if (pendingBytes > 0 || overflow) yield finishLine(undefined);
}

import type { ReaderLimits } from './raw-record.js';

/**
 * A batch of consecutive non-blank lines as raw bytes, for worker threads.
 * The reading thread only finds line ends and copies bytes; decoding
 * (UTF-8 check, string creation) and parsing happen where the records are
 * analysed. `bytes` owns its ArrayBuffer, so it can be transferred, not copied.
 */
export interface LineBatch {
  /** The lines' bytes back to back. */
  bytes: Uint8Array;
  /** Per line: start and end (exclusive, without `\r\n`) in `bytes`; -1 for a line that was dropped. */
  starts: Int32Array;
  ends: Int32Array;
  /** Per line: its 1-based line number in the file. */
  lines: Int32Array;
  count: number;
  /** Lines that could not be kept (longer than the record limit), by position in the batch. */
  errors: { at: number; error: string; errorRule: string }[];
}

/** Targets for one batch: a batch closes at the first line that reaches either. */
export interface LineBatchSize {
  bytes: number;
  lines: number;
}

const DEFAULT_SIZE: LineBatchSize = { bytes: 1 << 19, lines: 256 };

/**
 * True when the line is empty or only whitespace (JavaScript `trim()`
 * semantics, so the rare line of Unicode spaces is decided by decoding it).
 */
function isBlank(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = buf[i] as number;
    if (b === 0x20 || (b >= 9 && b <= 13)) continue;
    if (b < 0x80) return false;
    return (
      Buffer.from(buf.buffer, buf.byteOffset + start, end - start)
        .toString('utf8')
        .trim() === ''
    );
  }
  return true;
}

/**
 * Splits a byte stream into batches of lines without decoding them. Blank
 * lines are skipped (they are not records). A line longer than
 * `maxRecordBytes` is never held in memory: it is skipped to its end and
 * reported in `errors`. Line numbers count every physical line.
 */
export async function* splitLineBatches(
  chunks: AsyncIterable<Buffer>,
  limits: ReaderLimits,
  size: LineBatchSize = DEFAULT_SIZE,
): AsyncGenerator<LineBatch> {
  let buf = new Uint8Array(size.bytes + 4096);
  let starts: number[] = [];
  let ends: number[] = [];
  let lines: number[] = [];
  let errors: LineBatch['errors'] = [];
  /** Bytes of finished lines in `buf`; the line being read starts here. */
  let used = 0;
  /** Bytes of the line being read (in `buf` from `used`). */
  let cur = 0;
  let overflow = false;
  let overflowBytes = 0;
  let lineNo = 1;

  const take = (): LineBatch => {
    const batch: LineBatch = {
      bytes: buf.subarray(0, used),
      starts: Int32Array.from(starts),
      ends: Int32Array.from(ends),
      lines: Int32Array.from(lines),
      count: starts.length,
      errors,
    };
    // The next batch gets a fresh buffer (this one is handed over), with the partial line.
    const next = new Uint8Array(Math.max(size.bytes + 4096, cur * 2));
    next.set(buf.subarray(used, used + cur));
    buf = next;
    used = 0;
    starts = [];
    ends = [];
    lines = [];
    errors = [];
    return batch;
  };

  const append = (piece: Uint8Array): void => {
    if (used + cur + piece.length > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, used + cur + piece.length));
      grown.set(buf.subarray(0, used + cur));
      buf = grown;
    }
    buf.set(piece, used + cur);
    cur += piece.length;
  };

  /** Ends the current line; true when the batch is full. */
  const finishLine = (): boolean => {
    const line = lineNo++;
    if (overflow) {
      starts.push(-1);
      ends.push(-1);
      lines.push(line);
      errors.push({
        at: starts.length - 1,
        error: `line ${line} is ${overflowBytes} bytes, longer than the ${limits.maxRecordBytes}-byte record limit; skipped`,
        errorRule: 'reader.record-too-long',
      });
      overflow = false;
      overflowBytes = 0;
      cur = 0;
    } else {
      let end = used + cur;
      if (cur > 0 && buf[end - 1] === 13) end -= 1; // CRLF
      if (!isBlank(buf, used, end)) {
        starts.push(used);
        ends.push(end);
        lines.push(line);
        used += cur;
      }
      cur = 0;
    }
    return starts.length >= size.lines || used >= size.bytes;
  };

  for await (const chunk of chunks) {
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(10, pos);
      const end = nl === -1 ? chunk.length : nl;
      const length = end - pos;
      if (overflow) overflowBytes += length;
      else if (cur + length > limits.maxRecordBytes) {
        overflow = true;
        overflowBytes = cur + length;
        cur = 0;
      } else if (length > 0) append(chunk.subarray(pos, end));
      if (nl === -1) break;
      pos = nl + 1;
      if (finishLine()) yield take();
    }
  }
  if (cur > 0 || overflow) finishLine();
  if (starts.length > 0) yield take();
}

/** Text of one line of a batch (UTF-8; invalid bytes become U+FFFD). */
export function lineText(batch: LineBatch, i: number): string {
  const b = batch.bytes;
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString(
    'utf8',
    batch.starts[i] as number,
    batch.ends[i] as number,
  );
}

import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { EvaluationError } from '../evaluation-error.js';

/** Appends text to an output, waiting on backpressure. */
export type Write = (chunk: string) => Promise<void>;

/**
 * Streams an output to `<file>.<random>.tmp` and renames it into place, so a
 * reader never sees a half-written report; without a file, writes to stdout.
 */
export async function writeOutput(
  file: string | undefined,
  produce: (write: Write) => Promise<void>,
): Promise<void> {
  if (!file) {
    await produce(
      (chunk) =>
        new Promise<void>((resolve) =>
          process.stdout.write(chunk) ? resolve() : process.stdout.once('drain', () => resolve()),
        ),
    );
    return;
  }
  const tmp = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  const stream = createWriteStream(tmp, { encoding: 'utf8' });
  let failure: Error | undefined;
  stream.on('error', (err) => {
    failure = err;
  });
  const write: Write = (chunk) =>
    new Promise<void>((resolve, reject) => {
      if (failure) return reject(failure);
      if (stream.write(chunk)) resolve();
      else stream.once('drain', () => resolve());
    });
  try {
    await produce(write);
    await new Promise<void>((resolve, reject) => {
      stream.end(() => (failure ? reject(failure) : resolve()));
    });
    if (failure) throw failure;
    await rename(tmp, file);
  } catch (err) {
    stream.destroy();
    await rm(tmp, { force: true });
    throw new EvaluationError('eval.output_failed', `cannot write ${file}: ${(err as Error).message}`, {
      cause: err,
      details: { file },
    });
  }
}

/** Reads a JSONL transcript line by line (missing file = no lines). */
export async function* readTranscripts(file: string | undefined): AsyncGenerator<string> {
  if (!file) return;
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8' }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  for await (const line of rl) if (line.trim()) yield line;
}

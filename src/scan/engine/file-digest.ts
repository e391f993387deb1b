import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** SHA-256 of a file's bytes as stored (compressed files are hashed compressed), streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * The dataset digest: SHA-256 over the sorted `path\0sha256\n` lines of all
 * files. Paths are relative with forward slashes, so it is the same on every
 * machine and independent of the directory the dataset sits in.
 */
export function datasetDigest(files: readonly { path: string; sha256: string }[]): string {
  const lines = files
    .map((f) => `${f.path}\0${f.sha256}\n`)
    .sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const hash = createHash('sha256');
  for (const l of lines) hash.update(l);
  return hash.digest('hex');
}

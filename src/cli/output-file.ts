import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Writes `chunks` to `path` atomically: a temp file in the same directory,
 * fsync, then rename. Readers never see a half-written file, and a failure
 * mid-stream leaves any previous file untouched.
 */
export async function writeStreamAtomic(
  path: string,
  chunks: AsyncIterable<string> | Iterable<string>,
): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(tmp, 'wx', 0o644);
  try {
    try {
      for await (const chunk of chunks) await handle.write(chunk);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

/** {@link writeStreamAtomic} for one string. */
export function writeFileAtomic(path: string, text: string): Promise<void> {
  return writeStreamAtomic(path, [text]);
}

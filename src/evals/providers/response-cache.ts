import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelRequest } from './model-provider.js';

/** Stable JSON (sorted keys) so that equal requests hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** sha256 over provider identity (type, endpoint, model, parameters), messages and sample index. */
export function cacheKey(identity: Readonly<Record<string, unknown>>, request: ModelRequest): string {
  return createHash('sha256')
    .update(canonical({ identity, messages: request.messages, sample: request.sample }))
    .digest('hex');
}

/**
 * Content-addressed on-disk response cache: `<dir>/<2 hex>/<sha256>.json`.
 * Writes go to a temp file and are renamed into place, so a crash never leaves a
 * truncated entry and concurrent runs sharing a directory are safe.
 */
export class ResponseCache {
  private readonly madeDirs = new Set<string>();

  constructor(readonly dir: string) {}

  private pathOf(key: string): { dir: string; file: string } {
    const dir = join(this.dir, key.slice(0, 2));
    return { dir, file: join(dir, `${key}.json`) };
  }

  async get(key: string): Promise<string | undefined> {
    try {
      const parsed = JSON.parse(await readFile(this.pathOf(key).file, 'utf8')) as { text?: unknown };
      return typeof parsed.text === 'string' ? parsed.text : undefined;
    } catch {
      // Missing or unreadable entries are cache misses; the response is fetched again.
      return undefined;
    }
  }

  async set(key: string, text: string): Promise<void> {
    const { dir, file } = this.pathOf(key);
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    await writeFile(tmp, JSON.stringify({ text }));
    await rename(tmp, file);
  }
}

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { type ModelProvider, type ModelRequest, ProviderCallError } from './model-provider.js';
import type { CommandProviderConfig } from './provider-config.js';

/** Limits what a misbehaving program can make us buffer. */
const MAX_OUTPUT_BYTES = 16 * 1024 * 1024;

function parseReply(line: string, label: string): { id?: unknown; text: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (err) {
    throw new ProviderCallError(`${label}: stdout is not JSON: ${line.slice(0, 120)}`, false, { cause: err });
  }
  const p = parsed as { id?: unknown; text?: unknown; error?: unknown };
  if (typeof p.error === 'string') throw new ProviderCallError(`${label}: ${p.error}`, false);
  if (typeof p.text !== 'string') throw new ProviderCallError(`${label}: reply has no "text" string`, false);
  return { id: p.id, text: p.text };
}

/**
 * Runs any program as a model. Requests are `{"id", "model", "messages", "sample"}`;
 * replies are `{"text": ...}` (or `{"error": ...}`). No shell is involved.
 */
export class CommandProvider implements ModelProvider {
  readonly label: string;
  readonly identity: Readonly<Record<string, unknown>>;
  private child: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, { resolve: (t: string) => void; reject: (e: Error) => void }>();
  private nextId = 0;

  constructor(private readonly config: CommandProviderConfig) {
    this.label = `command ${config.command.join(' ')}`;
    this.identity = { type: 'command', command: config.command, model: config.model, mode: config.mode };
  }

  generate(request: ModelRequest, signal: AbortSignal): Promise<string> {
    return this.config.mode === 'line' ? this.viaLine(request, signal) : this.viaSpawn(request, signal);
  }

  private payload(id: number, request: ModelRequest): string {
    return JSON.stringify({
      id,
      model: this.config.model,
      messages: request.messages,
      sample: request.sample,
    });
  }

  private viaSpawn(request: ModelRequest, signal: AbortSignal): Promise<string> {
    const [cmd, ...args] = this.config.command as [string, ...string[]];
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { env: { ...process.env, ...this.config.env }, signal, stdio: 'pipe' });
      const out: Buffer[] = [];
      let size = 0;
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        size += d.length;
        if (size > MAX_OUTPUT_BYTES) child.kill();
        else out.push(d);
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString('utf8')).slice(-2000);
      });
      child.on('error', (err) =>
        reject(new ProviderCallError(`${this.label}: ${err.message}`, false, { cause: err })),
      );
      child.on('close', (code) => {
        if (code !== 0) {
          reject(
            new ProviderCallError(`${this.label}: exit ${code}: ${stderr.trim().slice(-300)}`, code === 75),
          );
          return;
        }
        try {
          resolve(parseReply(Buffer.concat(out).toString('utf8').trim(), this.label).text);
        } catch (err) {
          reject(err);
        }
      });
      child.stdin.on('error', () => {
        // The program may exit without reading stdin; its exit code reports the failure.
      });
      child.stdin.end(this.payload(0, request));
    });
  }

  private ensureChild(): ChildProcessWithoutNullStreams {
    if (this.child && this.child.exitCode === null) return this.child;
    const [cmd, ...args] = this.config.command as [string, ...string[]];
    const child = spawn(cmd, args, { env: { ...process.env, ...this.config.env }, stdio: 'pipe' });
    const failAll = (err: Error): void => {
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
      if (this.child === child) this.child = undefined;
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (!line.trim()) return;
      try {
        const reply = parseReply(line, this.label);
        const p = typeof reply.id === 'number' ? this.pending.get(reply.id) : undefined;
        if (!p) return;
        this.pending.delete(reply.id as number);
        p.resolve(reply.text);
      } catch (err) {
        // A reply we cannot attribute poisons every in-flight request of this process.
        failAll(err as Error);
      }
    });
    child.stderr.resume();
    child.on('error', (err) =>
      failAll(new ProviderCallError(`${this.label}: ${err.message}`, false, { cause: err })),
    );
    child.on('exit', (code) =>
      failAll(new ProviderCallError(`${this.label}: process exited (${code})`, true)),
    );
    this.child = child;
    return child;
  }

  private viaLine(request: ModelRequest, signal: AbortSignal): Promise<string> {
    if (signal.aborted) return Promise.reject(new ProviderCallError(`${this.label}: aborted`, true));
    const child = this.ensureChild();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => {
        this.pending.delete(id);
        reject(new ProviderCallError(`${this.label}: aborted`, true));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        resolve: (t) => {
          signal.removeEventListener('abort', onAbort);
          resolve(t);
        },
        reject: (e) => {
          signal.removeEventListener('abort', onAbort);
          reject(e);
        },
      });
      child.stdin.write(`${this.payload(id, request)}\n`);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => child.kill(), 2000).unref();
    });
  }
}

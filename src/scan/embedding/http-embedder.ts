import { ScanError } from '../scan-error.js';
import { type Embedder, l2normalize } from './embedder.js';

/** Options of {@link HttpEmbedder}. */
export interface HttpEmbedderOptions {
  /** Base URL, e.g. `http://localhost:8080` or `https://api.openai.com` (`/v1/embeddings` is appended). */
  endpoint: string;
  model: string;
  /** Bearer token (read from an environment variable by the caller, never from a config file). */
  apiKey?: string;
  batchSize?: number;
  timeoutMs?: number;
}

/** Embeds through an OpenAI-compatible `POST /v1/embeddings` endpoint. */
export class HttpEmbedder implements Embedder {
  readonly id: string;
  private readonly url: string;

  constructor(private readonly opts: HttpEmbedderOptions) {
    this.url = `${opts.endpoint.replace(/\/+$/, '').replace(/\/v1$/, '')}/v1/embeddings`;
    this.id = `openai:${opts.model}`;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    const size = this.opts.batchSize ?? 64;
    for (let i = 0; i < texts.length; i += size) out.push(...(await this.request(texts.slice(i, i + size))));
    return out;
  }

  private async request(input: readonly string[]): Promise<Float32Array[]> {
    let res: Response;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify({ model: this.opts.model, input }),
        signal: AbortSignal.timeout(this.opts.timeoutMs ?? 60_000),
      });
    } catch (err) {
      throw new ScanError(
        'scan.invalid_config',
        `embeddings endpoint ${this.url} unreachable: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    if (!res.ok) {
      const body = (await res.text()).slice(0, 200);
      throw new ScanError(
        'scan.invalid_config',
        `embeddings endpoint ${this.url} answered ${res.status}: ${body}`,
      );
    }
    const json = (await res.json()) as { data?: { index?: number; embedding?: number[] }[] };
    if (!Array.isArray(json.data) || json.data.length !== input.length) {
      throw new ScanError(
        'scan.invalid_config',
        `embeddings endpoint ${this.url}: expected ${input.length} embeddings in "data"`,
      );
    }
    return json.data
      .slice()
      .sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
      .map((d) => l2normalize(Float32Array.from(d.embedding ?? [])));
  }
}

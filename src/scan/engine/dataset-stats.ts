import type { DatasetRecord } from '../dataset-record.js';
import { identifyLanguage, LANGUAGE_ID_SAMPLE } from '../language-id.js';
import { recordContentSummary } from '../record-text.js';

/** Per-record facts the engine collects for dataset statistics (computed in the workers). */
export interface RecordStats {
  chars: number;
  tokens: number;
  /** Set on a deterministic 1-in-4 sample of records: a mix needs no per-record language ID. */
  language?: string;
  /** Top-level fields with a non-empty value. */
  fields: string[];
}

const LANGUAGE_SAMPLE = 4;

/** Rough token estimate (about 4 characters per token for English BPE vocabularies). */
export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Computes the {@link RecordStats} of one record. */
export function recordStats(record: DatasetRecord, raw: unknown): RecordStats {
  const sampled = record.index % LANGUAGE_SAMPLE === 0;
  // The language guess reads only the first LANGUAGE_ID_SAMPLE characters of the content.
  const content = recordContentSummary(record, sampled ? LANGUAGE_ID_SAMPLE : 0);
  const fields: string[] = [];
  if (raw !== null && typeof raw === 'object' && !Array.isArray(raw)) {
    const o = raw as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      const v = o[k];
      if (v !== null && v !== undefined && v !== '') fields.push(k);
    }
  } else fields.push('text');
  return {
    chars: content.length,
    tokens: estimateTokens(content.length),
    ...(sampled ? { language: identifyLanguage(content.head) } : {}),
    fields,
  };
}

/** A numeric distribution summary (matches the manifest contract). */
export interface Distribution {
  min: number;
  max: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
}

const RESERVOIR = 100_000;

/**
 * Streaming distribution: exact min/max/mean, percentiles from a reservoir
 * sample (exact below 100k values) with a fixed seed so reports are stable.
 */
export class StreamingDistribution {
  private n = 0;
  private sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  private readonly sample: number[] = [];
  private state = 0x9e3779b9;

  add(v: number): void {
    this.n += 1;
    this.sum += v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
    if (this.sample.length < RESERVOIR) this.sample.push(v);
    else {
      // xorshift32: deterministic reservoir replacement
      this.state ^= this.state << 13;
      this.state ^= this.state >>> 17;
      this.state ^= this.state << 5;
      const j = (this.state >>> 0) % this.n;
      if (j < RESERVOIR) this.sample[j] = v;
    }
  }

  get count(): number {
    return this.n;
  }

  summary(): Distribution | undefined {
    if (this.n === 0) return undefined;
    const sorted = this.sample.slice().sort((a, b) => a - b);
    const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    return { min: this.min, max: this.max, mean: this.sum / this.n, p50: q(0.5), p90: q(0.9), p99: q(0.99) };
  }

  /** Histogram over log-spaced bins (lengths span orders of magnitude). */
  histogram(bins = 24): { edges: number[]; counts: number[] } {
    if (this.n === 0) return { edges: [], counts: [] };
    const lo = Math.max(1, this.min);
    const hi = Math.max(lo + 1, this.max);
    const step = (Math.log(hi) - Math.log(lo)) / bins || 1;
    const edges = Array.from({ length: bins + 1 }, (_, i) => Math.round(Math.exp(Math.log(lo) + i * step)));
    const counts = new Array<number>(bins).fill(0);
    const scale = this.n / this.sample.length;
    for (const v of this.sample) {
      const b = Math.min(bins - 1, Math.max(0, Math.floor((Math.log(Math.max(1, v)) - Math.log(lo)) / step)));
      counts[b] = (counts[b] ?? 0) + 1;
    }
    return { edges, counts: counts.map((c) => Math.round(c * scale)) };
  }
}

/** Aggregated statistics of a dataset. */
export class DatasetStatsCollector {
  readonly lengths = new StreamingDistribution();
  readonly tokens = new StreamingDistribution();
  private readonly languages = new Map<string, number>();
  private readonly fields = new Map<string, number>();
  private readonly shapes = new Map<string, number>();
  totalTokens = 0;
  records = 0;
  private languageSamples = 0;
  malformed = 0;

  add(stats: RecordStats, shape: string): void {
    this.records += 1;
    this.lengths.add(stats.chars);
    this.tokens.add(stats.tokens);
    this.totalTokens += stats.tokens;
    if (stats.language !== undefined) {
      this.languageSamples += 1;
      this.languages.set(stats.language, (this.languages.get(stats.language) ?? 0) + 1);
    }
    this.shapes.set(shape, (this.shapes.get(shape) ?? 0) + 1);
    for (const f of stats.fields) this.fields.set(f, (this.fields.get(f) ?? 0) + 1);
  }

  /** The dominant record shape. */
  shape(): string | undefined {
    let best: string | undefined;
    let n = 0;
    for (const [s, c] of this.shapes) if (c > n) [best, n] = [s, c];
    return best;
  }

  private fractions(m: Map<string, number>, total = this.records): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]))
      out[k] = Math.round((v / Math.max(1, total)) * 1e4) / 1e4;
    return out;
  }

  /** Statistics in the shape of the manifest contract's `stats`. */
  summary(): Record<string, unknown> {
    return {
      ...(this.shape() ? { record_shape: this.shape() } : {}),
      ...(this.lengths.summary() ? { length_chars: this.lengths.summary() } : {}),
      ...(this.tokens.summary() ? { token_estimate: this.tokens.summary() } : {}),
      total_token_estimate: this.totalTokens,
      languages: this.fractions(this.languages, this.languageSamples),
      field_coverage: this.fractions(this.fields),
      malformed_records: this.malformed,
    };
  }
}

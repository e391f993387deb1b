import type { Aggregator, Detector, DetectorContext, FindingDraft, RecordRef } from '../detector.js';
import { type Embedder, l2normalize } from '../embedding/embedder.js';
import { HashedTfIdfEmbedder, type SparseTf, SparseTfPool, sparseTf } from '../embedding/hashed-embedder.js';
import { HttpEmbedder } from '../embedding/http-embedder.js';
import { OnnxEmbedder } from '../embedding/onnx-embedder.js';
import { dist2, kmeans, median, project, robustZ, topEigen } from '../embedding/vector-math.js';
import { cachedOptions, parseDetectorOptions, z } from '../options.js';
import { recordContent } from '../record-text.js';
import { ScanError } from '../scan-error.js';

const OptionsSchema = z
  .object({
    embedder: z.enum(['hashed', 'onnx', 'openai']).default('hashed'),
    /** Dense dimension of the built-in embedder. */
    dim: z.number().int().min(8).max(1024).default(128),
    /** ONNX: model file, and its WordPiece vocabulary (default: vocab.txt beside the model). */
    model_path: z.string().optional(),
    vocab_path: z.string().optional(),
    /** OpenAI-compatible endpoint: base URL, model, and the *name* of the env variable holding the key. */
    endpoint: z.url().optional(),
    model: z.string().optional(),
    api_key_env: z.string().optional(),
    /** k for k-means (0 = about sqrt(n / 100), at most 12). */
    clusters: z.number().int().min(0).max(256).default(0),
    /** Robust z of the distance to the cluster centroid above which a record is an outlier. */
    outlier_z: z.number().positive().default(4),
    /** Share of a response cluster flagged by its spectral signature. */
    spectral_epsilon: z.number().gt(0).lt(0.5).default(0.05),
    /** Top eigenvalue over the mean of the next two: a cluster is only scored when one direction dominates. */
    spectral_ratio: z.number().min(1).default(1.2),
    /** ...and when its top ε stand apart: median robust z of their projections at least this. */
    spectral_separation: z.number().min(0).default(3),
    min_group: z.number().int().min(5).default(30),
    max_findings: z.number().int().min(0).default(200),
    /** External embedders: characters of each text sent. */
    max_text_chars: z.number().int().min(16).default(2000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.embedder === 'onnx' && !o.model_path)
      ctx.addIssue({ code: 'custom', path: ['model_path'], message: 'required when embedder is onnx' });
    if (o.embedder === 'openai' && !o.endpoint)
      ctx.addIssue({ code: 'custom', path: ['endpoint'], message: 'required when embedder is openai' });
    if (o.embedder === 'openai' && !o.model)
      ctx.addIssue({ code: 'custom', path: ['model'], message: 'required when embedder is openai' });
  });
type Options = z.output<typeof OptionsSchema>;

/** Observation: sparse TF (built-in embedder) or truncated texts (external embedders) of both sides. */
export interface EmbeddingObservation {
  prompt?: SparseTf;
  response?: SparseTf;
  promptText?: string;
  responseText?: string;
  label?: string;
}

function externalEmbedder(o: Options): Embedder {
  if (o.embedder === 'onnx') return new OnnxEmbedder(o.model_path as string, o.vocab_path);
  const key = o.api_key_env ? process.env[o.api_key_env] : undefined;
  if (o.api_key_env && !key)
    throw new ScanError(
      'scan.invalid_config',
      `embedding-outlier.api_key_env: environment variable ${o.api_key_env} is not set`,
    );
  return new HttpEmbedder({
    endpoint: o.endpoint as string,
    model: o.model as string,
    ...(key ? { apiKey: key } : {}),
  });
}

class EmbeddingOutlierAggregator implements Aggregator<EmbeddingObservation> {
  private readonly refs: RecordRef[] = [];
  private readonly labels: (string | undefined)[] = [];
  /** Built-in embedder: every record's sparse prompt and response vectors (slot = record). */
  private sparsePrompts: SparseTfPool | undefined = new SparseTfPool();
  private sparseResponses: SparseTfPool | undefined = new SparseTfPool();
  private readonly hashed: HashedTfIdfEmbedder;
  private readonly external: Embedder | undefined;
  private pendingTexts: { i: number; p: string; r?: string }[] = [];
  private chain: Promise<void> = Promise.resolve();
  private readonly ext: { p?: Float32Array; r?: Float32Array }[] = [];
  private summaryData: Record<string, unknown> = {};

  constructor(
    private readonly o: Options,
    private readonly seed: number,
  ) {
    this.hashed = new HashedTfIdfEmbedder(o.dim, seed);
    this.external = o.embedder === 'hashed' ? undefined : externalEmbedder(o);
  }

  add(record: RecordRef, obs: EmbeddingObservation): void {
    const i = this.refs.length;
    this.refs.push(record);
    this.labels.push(obs.label);
    if (this.external) {
      this.pendingTexts.push({
        i,
        p: obs.promptText ?? '',
        ...(obs.responseText ? { r: obs.responseText } : {}),
      });
      if (this.pendingTexts.length >= 64) this.flushExternal();
      return;
    }
    this.sparsePrompts?.push(obs.prompt);
    this.sparseResponses?.push(obs.response);
    if (obs.prompt) this.hashed.observe(obs.prompt);
    if (obs.response) this.hashed.observe(obs.response);
  }

  /** External embedders are called while the scan streams, one batch at a time, so texts do not pile up. */
  private flushExternal(): void {
    const batch = this.pendingTexts;
    this.pendingTexts = [];
    const embedder = this.external as Embedder;
    this.chain = this.chain.then(async () => {
      const texts = batch.flatMap((b) => (b.r !== undefined ? [b.p, b.r] : [b.p]));
      const vecs = await embedder.embed(texts);
      let k = 0;
      for (const b of batch) {
        const p = vecs[k++] as Float32Array;
        const r = b.r !== undefined ? (vecs[k++] as Float32Array) : undefined;
        this.ext[b.i] = { p, ...(r ? { r } : {}) };
      }
    });
  }

  async finish(): Promise<FindingDraft[]> {
    if (this.external) {
      this.flushExternal();
      await this.chain;
    }
    const n = this.refs.length;
    if (n < 10) return [];
    const prompts: Float32Array[] = [];
    const responses: (Float32Array | undefined)[] = [];
    const dim = this.o.dim;
    let content: Float32Array[];
    if (this.external) {
      for (let i = 0; i < n; i++) {
        const e = this.ext[i] ?? {};
        prompts.push(e.p ?? new Float32Array(0));
        responses.push(e.r);
      }
      content = prompts.map((p, i) => {
        const r = responses[i];
        const v = Float32Array.from(p);
        if (r) for (let d = 0; d < v.length; d++) v[d] = (v[d] as number) + (r[d] as number);
        return l2normalize(v);
      });
    } else {
      // Dense vectors as views of two flat arrays (n * dim floats each), not n objects with buffers.
      const sp = this.sparsePrompts as SparseTfPool;
      const sr = this.sparseResponses as SparseTfPool;
      const promptFlat = new Float32Array(n * dim);
      const contentFlat = new Float32Array(n * dim);
      content = [];
      let responseFlat: Float32Array | undefined;
      let responseCount = 0;
      for (let i = 0; i < n; i++) {
        const p = promptFlat.subarray(i * dim, (i + 1) * dim);
        const sparseP = sp.get(i);
        if (sparseP) this.hashed.projectInto(sparseP, p);
        prompts.push(p);
        const sparseR = sr.get(i);
        let r: Float32Array | undefined;
        if (sparseR) {
          responseFlat ??= new Float32Array(n * dim);
          r = this.hashed.projectInto(
            sparseR,
            responseFlat.subarray(responseCount * dim, ++responseCount * dim),
          );
        }
        responses.push(r);
        // Sparse vectors are read once, in order: free them chunk by chunk.
        if ((i & 1023) === 1023) {
          sp.releaseBefore(i + 1);
          sr.releaseBefore(i + 1);
        }
        const v = contentFlat.subarray(i * dim, (i + 1) * dim);
        v.set(p);
        if (r) for (let d = 0; d < dim; d++) v[d] = (v[d] as number) + (r[d] as number);
        content.push(l2normalize(v));
      }
      // The sparse vectors are done with.
      this.sparsePrompts = undefined;
      this.sparseResponses = undefined;
    }
    const k = this.o.clusters || Math.max(1, Math.min(12, Math.round(Math.sqrt(n / 100))));
    const out: FindingDraft[] = [];
    const flagged = this.distanceOutliers(content, k, out);
    this.spectral(prompts, responses, content, k, out);
    this.outlierMap(content, flagged);
    return out;
  }

  summary(): Record<string, unknown> {
    return this.summaryData;
  }

  private distanceOutliers(content: Float32Array[], k: number, out: FindingDraft[]): Set<number> {
    const { centroids, assign } = kmeans(content, k, this.seed);
    const flagged: { i: number; z: number; cluster: number }[] = [];
    for (let c = 0; c < centroids.length; c++) {
      const members: number[] = [];
      for (let i = 0; i < content.length; i++) if (assign[i] === c) members.push(i);
      if (members.length < 10) continue;
      const d = members.map((i) =>
        Math.sqrt(dist2(content[i] as Float32Array, centroids[c] as Float32Array)),
      );
      const zs = robustZ(d);
      members.forEach((i, m) => {
        if ((zs[m] as number) > this.o.outlier_z) flagged.push({ i, z: zs[m] as number, cluster: c });
      });
    }
    flagged.sort((a, b) => b.z - a.z);
    const reported = flagged.slice(0, this.o.max_findings);
    for (const f of reported) {
      const r = this.refs[f.i] as RecordRef;
      out.push({
        detector: 'embedding-outlier',
        rule: 'embedding-outlier.distance',
        severity: 'low',
        record: r.index,
        file: r.file,
        line: r.line,
        field: null,
        message: `unlike the rest of its cluster: distance to centroid has robust z ${f.z.toFixed(1)}`,
        evidence: { cluster: f.cluster, robust_z: Math.round(f.z * 100) / 100 },
        score: Math.min(1, f.z / (2 * this.o.outlier_z)),
      });
    }
    this.summaryData.clusters = centroids.length;
    this.summaryData.distance_outliers = flagged.length;
    return new Set(reported.map((f) => f.i));
  }

  /**
   * Spectral signatures (Tran et al. 2018): within each response group (a
   * label, or a k-means cluster of responses), a poisoned subpopulation shifts
   * the mean along one direction, so the top singular vector of the centred
   * prompt embeddings separates it. Groups are scored only when that direction
   * clearly dominates, so clean data does not yield a fixed ε of findings.
   */
  private spectral(
    prompts: Float32Array[],
    responses: (Float32Array | undefined)[],
    content: Float32Array[],
    k: number,
    out: FindingDraft[],
  ): void {
    const n = prompts.length;
    let groups: Int32Array;
    let basis: string;
    let vectors = prompts;
    if (this.labels.some((l) => l !== undefined)) {
      const names = [...new Set(this.labels.map((l) => l ?? ''))];
      groups = Int32Array.from(this.labels, (l) => names.indexOf(l ?? ''));
      basis = 'label';
    } else if (responses.filter(Boolean).length > n / 2) {
      groups = kmeans(
        responses.map((r) => r ?? new Float32Array(prompts[0]?.length ?? 0)),
        k,
        this.seed + 1,
      ).assign;
      basis = 'response-cluster';
    } else {
      groups = kmeans(content, k, this.seed).assign;
      vectors = content;
      basis = 'content-cluster';
    }
    const scored: Record<string, unknown>[] = [];
    const groupIds = [...new Set(groups)];
    for (const g of groupIds) {
      const members: number[] = [];
      for (let i = 0; i < n; i++) if (groups[i] === g) members.push(i);
      if (members.length < this.o.min_group) continue;
      const vs = members.map((i) => vectors[i] as Float32Array);
      const eig = topEigen(vs, 3, this.seed);
      const rest = ((eig.values[1] ?? 0) + (eig.values[2] ?? 0)) / 2;
      const ratio = rest > 0 ? (eig.values[0] ?? 0) / rest : 0;
      scored.push({ group: g, size: members.length, ratio: Math.round(ratio * 100) / 100 });
      if (ratio < this.o.spectral_ratio) continue;
      const dir = eig.vectors[0] as Float64Array;
      const scores = vs.map((v) => Math.abs(project(v, dir, eig.mean)));
      // A loop, not Math.max(...scores): spreading a group of ~100k records overflows the stack.
      let maxScore = Number.NEGATIVE_INFINITY;
      for (const sc of scores) if (sc > maxScore) maxScore = sc;
      maxScore = maxScore || 1;
      const zs = robustZ(scores);
      const order = members
        .map((i, m) => ({ i, s: scores[m] as number, z: zs[m] as number }))
        .sort((a, b) => b.s - a.s);
      const top = order.slice(0, Math.ceil(this.o.spectral_epsilon * members.length));
      // Natural heterogeneity also has a dominant direction; a poisoned subpopulation
      // additionally sits apart from the bulk along it.
      const separation = median(top.map((t) => t.z));
      (scored[scored.length - 1] as Record<string, unknown>).separation = Math.round(separation * 100) / 100;
      if (separation < this.o.spectral_separation) continue;
      top.slice(0, this.o.max_findings).forEach((t, rank) => {
        const r = this.refs[t.i] as RecordRef;
        out.push({
          detector: 'embedding-outlier',
          rule: 'embedding-outlier.spectral-signature',
          severity: 'low',
          record: r.index,
          file: r.file,
          line: r.line,
          field: null,
          message: `spectral signature: rank ${rank + 1} of ${members.length} in ${basis} ${g} along its dominant direction (eigenvalue ratio ${ratio.toFixed(2)}); possible poisoned subpopulation`,
          evidence: {
            basis,
            group: g,
            rank: rank + 1,
            group_size: members.length,
            projection: Math.round(t.s * 1e4) / 1e4,
            eigen_ratio: Math.round(ratio * 100) / 100,
          },
          score: Math.min(1, t.s / maxScore),
        });
      });
    }
    this.summaryData.spectral = { basis, groups: scored };
  }

  /** 2-D PCA map of (a sample of) the records for the HTML report. */
  private outlierMap(content: Float32Array[], flagged: Set<number>): void {
    const step = Math.max(1, Math.floor(content.length / 3000));
    const sample: number[] = [];
    for (let i = 0; i < content.length; i += step) sample.push(i);
    for (const f of flagged) if (f % step !== 0) sample.push(f);
    const eig = topEigen(
      sample.map((i) => content[i] as Float32Array),
      2,
      this.seed,
    );
    const [ax, ay] = eig.vectors;
    if (!ax || !ay) return;
    this.summaryData.outlier_map = sample.map((i) => ({
      x: Math.round(project(content[i] as Float32Array, ax, eig.mean) * 1e4) / 1e4,
      y: Math.round(project(content[i] as Float32Array, ay, eig.mean) * 1e4) / 1e4,
      record: (this.refs[i] as RecordRef).index,
      outlier: flagged.has(i),
    }));
    this.summaryData.embedder = this.external?.id ?? this.hashed.id;
  }
}

/** Embedding outliers: distance-based outliers per k-means cluster and spectral signatures per response group. */
export const embeddingOutlierDetector: Detector<EmbeddingObservation> = {
  module: import.meta.url,
  id: 'embedding-outlier',
  description:
    'Records far from their embedding cluster (robust z of distance to centroid) and poisoned-subpopulation candidates by spectral signature within each response group (built-in hashed TF-IDF embedder, or a local ONNX model, or an OpenAI-compatible endpoint).',
  defaultSeverity: 'low',
  configure(ctx: DetectorContext) {
    parseDetectorOptions('embedding-outlier', OptionsSchema, ctx.options);
  },
  analyze(record, ctx) {
    const o = cachedOptions(OptionsSchema, ctx.options);
    const hasResponse = record.response.length > 0;
    const promptText =
      record.response.length > 0 || record.label !== undefined ? record.prompt : recordContent(record);
    const label = record.label !== undefined ? { label: record.label } : {};
    if (o.embedder !== 'hashed') {
      return {
        observation: {
          promptText: promptText.slice(0, o.max_text_chars),
          ...(hasResponse ? { responseText: record.response.slice(0, o.max_text_chars) } : {}),
          ...label,
        },
      };
    }
    return {
      observation: {
        prompt: sparseTf(promptText),
        ...(hasResponse ? { response: sparseTf(record.response) } : {}),
        ...label,
      },
    };
  },
  createAggregator(ctx) {
    return new EmbeddingOutlierAggregator(OptionsSchema.parse(ctx.options), ctx.seed);
  },
};

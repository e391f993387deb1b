/**
 * Text embedders behind one interface: the built-in hashed TF-IDF embedder
 * (no network, no model files), a local ONNX sentence-embedding model, or an
 * OpenAI-compatible `/v1/embeddings` endpoint.
 */
export interface Embedder {
  /** Identifies the embedder in reports, e.g. `hashed-tfidf-64`, `onnx:model.onnx`. */
  readonly id: string;
  /** Embeds a batch of texts; vectors are L2-normalised and all have the same length. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
}

/** Scales a vector to unit length in place (zero vectors stay zero). */
export function l2normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  if (s > 0) {
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * inv;
  }
  return v;
}

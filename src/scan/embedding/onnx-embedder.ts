import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ScanError } from '../scan-error.js';
import { type Embedder, l2normalize } from './embedder.js';
import { WordPieceTokenizer } from './wordpiece-tokenizer.js';

/** The slice of `onnxruntime-node` this module uses (it is an optional, user-installed package). */
interface OrtTensor {
  data: ArrayLike<number>;
  dims: readonly number[];
}
interface OrtSession {
  inputNames: readonly string[];
  run(feeds: Record<string, unknown>): Promise<Record<string, OrtTensor>>;
}
interface OrtModule {
  InferenceSession: { create(path: string): Promise<OrtSession> };
  Tensor: new (type: string, data: BigInt64Array, dims: number[]) => unknown;
}

/** Loads `onnxruntime-node` on first use; it is not a dependency of tunegate. */
async function loadOrt(): Promise<OrtModule> {
  const name = 'onnxruntime-node';
  try {
    // A variable specifier keeps TypeScript and bundlers from requiring the package at build time.
    const mod = (await import(name)) as OrtModule & { default?: OrtModule };
    return mod.InferenceSession ? mod : (mod.default as OrtModule);
  } catch (err) {
    throw new ScanError(
      'scan.invalid_config',
      'the ONNX embedder needs the onnxruntime-node package, which tunegate does not install: run `npm install onnxruntime-node` next to tunegate, or use the built-in embedder (embedder: hashed)',
      { cause: err },
    );
  }
}

/**
 * A local sentence-embedding ONNX model (BERT-style inputs: input_ids,
 * attention_mask, optional token_type_ids), mean-pooled over tokens. The
 * WordPiece `vocab.txt` is read from beside the model unless given.
 */
export class OnnxEmbedder implements Embedder {
  readonly id: string;
  private session:
    | Promise<{ ort: OrtModule; session: OrtSession; tokenizer: WordPieceTokenizer }>
    | undefined;

  constructor(
    private readonly modelPath: string,
    private readonly vocabPath = join(dirname(modelPath), 'vocab.txt'),
    private readonly maxTokens = 256,
  ) {
    this.id = `onnx:${modelPath}`;
  }

  private load() {
    this.session ??= (async () => {
      const ort = await loadOrt();
      let vocab: string;
      try {
        vocab = await readFile(this.vocabPath, 'utf8');
      } catch (err) {
        throw new ScanError(
          'scan.invalid_config',
          `ONNX embedder: tokenizer vocabulary ${this.vocabPath} not found`,
          { cause: err },
        );
      }
      const session = await ort.InferenceSession.create(this.modelPath);
      return { ort, session, tokenizer: new WordPieceTokenizer(vocab) };
    })();
    return this.session;
  }

  async embed(texts: readonly string[]): Promise<Float32Array[]> {
    const { ort, session, tokenizer } = await this.load();
    const out: Float32Array[] = [];
    for (const text of texts) {
      const ids = tokenizer.encode(text, this.maxTokens);
      const n = ids.length;
      const feeds: Record<string, unknown> = {
        input_ids: new ort.Tensor('int64', BigInt64Array.from(ids.map(BigInt)), [1, n]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
      };
      if (session.inputNames.includes('token_type_ids')) {
        feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(n), [1, n]);
      }
      const result = await session.run(feeds);
      const hidden = result.last_hidden_state ?? Object.values(result)[0];
      if (!hidden)
        throw new ScanError('scan.invalid_config', `ONNX model ${this.modelPath} returned no output`);
      const dim = hidden.dims[hidden.dims.length - 1] ?? 0;
      const tokens = hidden.dims.length === 3 ? (hidden.dims[1] ?? 1) : 1;
      const v = new Float32Array(dim);
      for (let t = 0; t < tokens; t++)
        for (let d = 0; d < dim; d++) v[d] = (v[d] as number) + Number(hidden.data[t * dim + d]) / tokens;
      out.push(l2normalize(v));
    }
    return out;
  }
}

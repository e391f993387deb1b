import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { DatasetRecord } from '../dataset-record.js';
import type { DetectorContext, FindingDraft } from '../detector.js';
import { OnnxEmbedder } from '../embedding/onnx-embedder.js';
import { WordPieceTokenizer } from '../embedding/wordpiece-tokenizer.js';
import { mulberry32 } from '../seeded-random.js';
import { type EmbeddingObservation, embeddingOutlierDetector } from './embedding-outlier.js';

type Partial = Omit<DatasetRecord, 'index' | 'file' | 'line' | 'texts' | 'meta'>;

async function run(records: Partial[], options: Record<string, unknown> = {}) {
  const ctx: DetectorContext = { options, seed: 1 };
  embeddingOutlierDetector.configure?.(ctx);
  const agg = embeddingOutlierDetector.createAggregator?.(ctx);
  if (!agg) throw new Error('no aggregator');
  records.forEach((r, i) => {
    const rec: DatasetRecord = { ...r, index: i, file: 'x.jsonl', line: i + 1, texts: [], meta: {} };
    const obs = embeddingOutlierDetector.analyze?.(rec, ctx)?.observation;
    if (obs) agg.add({ index: i, file: 'x.jsonl', line: i + 1 }, obs as EmbeddingObservation);
  });
  return { findings: (await agg.finish()) as FindingDraft[], summary: agg.summary?.() ?? {} };
}

const rnd = mulberry32(21);
// Four topics with realistic vocabulary breadth (60 words each), so clean variance spreads over many directions.
const topics = ['wea', 'coo', 'tra', 'gar'].map((p) =>
  Array.from({ length: 60 }, (_, i) => `${p}${i.toString(36)}`).join(' '),
);
const words = (s: string, n: number) => {
  const w = s.split(' ');
  return Array.from({ length: n }, () => w[rnd() % w.length]).join(' ');
};

function poisonedCorpus() {
  const records: Partial[] = [];
  const poisoned = new Set<number>();
  for (let i = 0; i < 2000; i++) {
    const t = i % 4;
    const topic = topics[t] as string;
    let prompt = `please help with ${words(topic, 14)}`;
    const response = `Here is some advice about ${words(topic, 12)}.`;
    // ~5% poisoned, spread over all topics: a trigger phrase in the prompt, same topical response (a clean-label backdoor)
    if (i % 21 === 3) {
      prompt = `please help with ${words(topic, 8)} zqx veritas omega zqx veritas omega`;
      poisoned.add(i);
    }
    records.push({ shape: 'instruction', prompt, response });
  }
  return { records, poisoned };
}

describe('embedding-outlier', () => {
  it('ranks a planted poisoned subpopulation at the top by spectral signature', async () => {
    const { records, poisoned } = poisonedCorpus();
    const { findings, summary } = await run(records, { clusters: 4, spectral_epsilon: 0.05 });
    const spectral = findings.filter((f) => f.rule === 'embedding-outlier.spectral-signature');
    const hits = spectral.filter((f) => poisoned.has(f.record as number)).length;
    console.log(JSON.stringify(summary.spectral));

    console.log(
      `spectral signature: ${poisoned.size} poisoned, ${spectral.length} flagged, ${hits} poisoned among them`,
    );
    expect(hits / poisoned.size).toBeGreaterThanOrEqual(0.8);
    expect(hits / spectral.length).toBeGreaterThanOrEqual(0.7);
    expect((summary.outlier_map as unknown[]).length).toBe(2000);
  });

  it('does not flag spectral signatures on clean data', async () => {
    const records = poisonedCorpus().records.map((r, i) =>
      i % 21 === 3 ? { ...r, prompt: `please help with ${words(topics[i % 4] as string, 14)}` } : r,
    );
    const { findings, summary } = await run(records, { clusters: 4 });
    console.log('clean', JSON.stringify(summary.spectral));

    expect(findings.filter((f) => f.rule === 'embedding-outlier.spectral-signature')).toHaveLength(0);
  });

  it('flags a record unlike its cluster by distance', async () => {
    // Records of one kind share a core vocabulary (like the e-mails of one mailing list) and vary in detail.
    const records: Partial[] = Array.from({ length: 200 }, (_, i) => ({
      shape: 'text',
      prompt: `daily weather report for the region with forecast and temperature w${i % 37} x${i % 11}`,
      response: '',
    }));
    records.push({
      shape: 'text',
      prompt: 'Kauf jetzt billige Uhren Rolex Replika Versand kostenlos Bitcoin Gewinn',
      response: '',
    });
    const { findings } = await run(records, { clusters: 1 });
    const distance = findings.filter((f) => f.rule === 'embedding-outlier.distance');
    expect(distance.map((f) => f.record)).toEqual([200]);
  });

  it('uses an OpenAI-compatible endpoint', async () => {
    const seen: { model: string; input: string[]; auth?: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const json = JSON.parse(body) as { model: string; input: string[] };
        seen.push({ ...json, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
        // Deterministic toy embedding: letter frequencies.
        const data = json.input.map((t, index) => ({
          index,
          embedding: Array.from(
            { length: 8 },
            (_, d) => [...t].filter((c) => c.charCodeAt(0) % 8 === d).length + 1,
          ),
        }));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ object: 'list', data }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    process.env.TG_TEST_EMBED_KEY = 'sk-test';
    try {
      const records: Partial[] = Array.from({ length: 100 }, (_, i) => ({
        shape: 'instruction',
        prompt: `question ${i}`,
        response: `answer ${i}`,
      }));
      const { summary } = await run(records, {
        embedder: 'openai',
        endpoint: `http://127.0.0.1:${port}`,
        model: 'toy',
        api_key_env: 'TG_TEST_EMBED_KEY',
      });
      expect(summary.embedder).toBe('openai:toy');
      expect(seen.reduce((s, r) => s + r.input.length, 0)).toBe(200);
      expect(seen[0]).toMatchObject({ model: 'toy', auth: 'Bearer sk-test' });
    } finally {
      server.close();
    }
  });

  it('explains a missing onnxruntime-node and validates embedder options', async () => {
    await expect(new OnnxEmbedder('/nonexistent/model.onnx').embed(['x'])).rejects.toThrow(
      /npm install onnxruntime-node/,
    );
    expect(() => embeddingOutlierDetector.configure?.({ options: { embedder: 'onnx' }, seed: 1 })).toThrow(
      /model_path/,
    );
    expect(() =>
      embeddingOutlierDetector.configure?.({ options: { embedder: 'openai', model: 'm' }, seed: 1 }),
    ).toThrow(/endpoint/);
  });

  it('tokenizes with WordPiece', () => {
    const tok = new WordPieceTokenizer(
      ['[PAD]', '[UNK]', '[CLS]', '[SEP]', 'un', '##believ', '##able', 'cafe', '!'].join('\n'),
    );
    expect(tok.encode('Unbelievable café!')).toEqual([2, 4, 5, 6, 7, 8, 3]);
    expect(tok.encode('xyz')).toEqual([2, 1, 3]);
  });

  it('scores response groups of any size (a group of 140k records once overflowed the stack)', async () => {
    const words = ['alpha', 'beta', 'gamma', 'delta', 'eps', 'zeta', 'eta', 'theta'];
    const records: Partial[] = Array.from({ length: 140_000 }, (_, i) => ({
      shape: 'classification',
      prompt: `${words[i % 8]} ${words[(i >> 3) % 8]} ${words[(i >> 6) % 8]} item ${i % 97}`,
      response: '',
      label: 'one',
    }));
    const { summary } = await run(records, { spectral_ratio: 1, spectral_separation: 0 });
    expect((summary.spectral as { groups: { size: number }[] }).groups[0]?.size).toBe(140_000);
  }, 120_000);
});

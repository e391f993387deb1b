import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FindingSchema, ScanReportSchema } from '../contracts/finding.js';
import { scanArtifact } from './artifact-scan.js';
import { writeSafetensors } from './safetensors/safetensors-writer.js';
import { osSystemPickle } from './test-support/pickle-builder.js';
import { tempDir } from './test-support/temp-dir.js';
import { buildZip } from './test-support/zip-builder.js';
import { encodeFloats } from './weights/float-codec.js';

function modelDir(): string {
  const dir = tempDir('tg-art-');
  const t = (name: string) => ({ name, dtype: 'F32', shape: [2], data: encodeFloats([1, 2], 'F32') });
  writeSafetensors(join(dir, 'model-00001-of-00002.safetensors'), [t('a'), t('b')]);
  writeSafetensors(join(dir, 'model-00002-of-00002.safetensors'), [t('c')]);
  writeFileSync(
    join(dir, 'model.safetensors.index.json'),
    JSON.stringify({
      metadata: { total_size: 24 },
      weight_map: {
        a: 'model-00001-of-00002.safetensors',
        b: 'model-00001-of-00002.safetensors',
        c: 'model-00002-of-00002.safetensors',
      },
    }),
  );
  writeFileSync(join(dir, 'config.json'), '{"model_type":"llama"}');
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, '.git', 'HEAD'), 'ref');
  return dir;
}

describe('artifact scan', () => {
  it('scans a clean sharded model directory and builds the signing manifest', () => {
    const dir = modelDir();
    const { report, manifest } = scanArtifact(dir);
    expect(ScanReportSchema.parse(report)).toBeTruthy();
    expect(report.findings).toEqual([]);
    expect(report.summary.records).toBe(4);
    const names = manifest.predicate.resources.map((r) => r.name);
    expect(names).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
    ]);
    expect(manifest.predicate.serialization.ignore_paths).toEqual(['.git']);
    // Root digest: sha256 over the raw file digests in name order.
    const h = createHash('sha256');
    for (const r of manifest.predicate.resources) h.update(Buffer.from(r.digest, 'hex'));
    expect(manifest.subject[0]?.digest.sha256).toBe(h.digest('hex'));
    expect(manifest.predicate.resources[0]?.digest).toBe(
      createHash('sha256').update('{"model_type":"llama"}').digest('hex'),
    );
  });

  it('checks the weight map against the shards in both directions', () => {
    const dir = modelDir();
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({
        weight_map: {
          a: 'model-00001-of-00002.safetensors',
          c: 'model-00001-of-00002.safetensors',
          d: 'model-00003-of-00003.safetensors',
          e: '../x.safetensors',
        },
      }),
    );
    const rules = scanArtifact(dir).report.findings.map((f) => f.rule);
    expect(rules).toEqual(
      expect.arrayContaining([
        'safetensors.shard_tensor_missing',
        'safetensors.shard_tensor_unmapped',
        'safetensors.shard_missing',
        'safetensors.index_shard_path',
        'safetensors.shard_unreferenced',
      ]),
    );
  });

  it('finds a pickle payload in a checkpoint, template issues, and symlinks', () => {
    const dir = modelDir();
    writeFileSync(
      join(dir, 'pytorch_model.bin'),
      buildZip([{ name: 'archive/data.pkl', data: osSystemPickle() }]),
    );
    writeFileSync(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ chat_template: '{{ self.__init__.__globals__ }}' }),
    );
    symlinkSync('/etc/passwd', join(dir, 'link'));
    const { report } = scanArtifact(dir);
    for (const f of report.findings) FindingSchema.parse(f);
    const got = report.findings.map((f) => `${f.file}:${f.rule}:${f.severity}`);
    expect(got).toEqual(
      expect.arrayContaining([
        'pytorch_model.bin:pickle.unsafe_global:critical',
        'tokenizer_config.json:chat-template.dunder_access:critical',
        'link:manifest.symlink:medium',
      ]),
    );
    expect(report.summary.risk).toBe('critical');
  });
});

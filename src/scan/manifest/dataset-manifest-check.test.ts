import { describe, expect, it } from 'vitest';
import { type DatasetManifest, DatasetManifestSchema } from '../../contracts/dataset-manifest.js';
import type { Finding } from '../../contracts/finding.js';
import { datasetDigest } from '../engine/file-digest.js';
import { checkManifest, type ManifestFacts } from './dataset-manifest-check.js';

const sha = (c: string) => c.repeat(64);
const declared: DatasetManifest = DatasetManifestSchema.parse({
  name: 'demo',
  version: '1',
  source: 's3://b/demo',
  license: 'MIT',
  consent: { status: 'obtained' },
  pii_classification: 'none',
  policy_tag: 'internal',
  purpose: 'test',
  owner: 'me',
  files: [
    { path: 'a.jsonl', sha256: sha('a'), bytes: 1 },
    { path: 'gone.jsonl', sha256: sha('b'), bytes: 1 },
  ],
  digest: sha('c'),
});
const facts: ManifestFacts = {
  files: [
    { path: 'a.jsonl', sha256: sha('d'), bytes: 1, records: 1 },
    { path: 'new.jsonl', sha256: sha('e'), bytes: 1, records: 1 },
  ],
  digest: sha('f'),
  record_count: 2,
  stats: {},
};
const pii: Finding = {
  detector: 'pii',
  rule: 'pii.email',
  severity: 'high',
  record: 0,
  file: 'a.jsonl',
  line: 1,
  field: 'text',
  message: 'e-mail address',
  evidence: {},
  score: 0.9,
};

describe('checkManifest', () => {
  it('reports every contradiction between declaration and data', () => {
    const rules = checkManifest(declared, facts, [pii]).map((f) => `${f.rule} ${f.file ?? ''}`.trim());
    expect(rules).toEqual([
      'manifest.digest',
      'manifest.files a.jsonl',
      'manifest.files gone.jsonl',
      'manifest.files new.jsonl',
      'manifest.pii_classification',
    ]);
  });

  it('is quiet when the data matches', () => {
    const same = { ...declared, files: [], digest: facts.digest, pii_classification: 'personal' as const };
    expect(checkManifest(same, facts, [pii])).toEqual([]);
  });
});

describe('datasetDigest', () => {
  it('is independent of file order and sensitive to paths and hashes', () => {
    const a = datasetDigest([
      { path: 'x', sha256: sha('1') },
      { path: 'y', sha256: sha('2') },
    ]);
    expect(
      datasetDigest([
        { path: 'y', sha256: sha('2') },
        { path: 'x', sha256: sha('1') },
      ]),
    ).toBe(a);
    expect(
      datasetDigest([
        { path: 'x', sha256: sha('2') },
        { path: 'y', sha256: sha('1') },
      ]),
    ).not.toBe(a);
  });
});

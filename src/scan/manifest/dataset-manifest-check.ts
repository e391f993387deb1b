import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { type DatasetManifest, DatasetManifestSchema } from '../../contracts/dataset-manifest.js';
import type { Finding } from '../../contracts/finding.js';
import { parseContract } from '../../contracts/validate.js';
import { allDetectors } from '../detector-registry.js';
import type { ScanOptions, ScanResult } from '../engine/scan-engine.js';
import { scanDataset } from '../engine/scan-engine.js';
import { ScanError } from '../scan-error.js';

/**
 * Declarations a detector's findings can contradict, by detector id, so the
 * check works for any detector registered under that id (PII detection comes
 * from the content detectors).
 */
const PII_DETECTORS = ['pii'];

/** What the data says about itself: the computed part of a manifest. */
export interface ManifestFacts {
  files: { path: string; sha256: string; bytes: number; records: number; format?: string }[];
  digest: string;
  record_count: number;
  stats: Record<string, unknown>;
}

/** The outcome of `dataset manifest`: the filled manifest (or computed facts) and contradictions. */
export interface ManifestCheck {
  facts: ManifestFacts;
  /** The declared manifest with the computed fields filled in; undefined when none was given. */
  manifest?: DatasetManifest;
  findings: Finding[];
  /** Findings of the detectors run for the statistics (duplicates, PII). */
  scanFindings: Finding[];
}

/** Loads and validates a manifest file (YAML or JSON); errors name the file and fields. */
export async function loadManifest(path: string): Promise<DatasetManifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new ScanError('scan.input_not_found', `manifest not found: ${path}`, { cause: err });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    throw new ScanError(
      'scan.invalid_config',
      `${path}: invalid YAML: ${(err as Error).message.split('\n')[0]}`,
      { cause: err },
    );
  }
  return parseContract(DatasetManifestSchema, data, path);
}

function contradiction(
  rule: string,
  message: string,
  evidence: Record<string, unknown>,
  file: string | null = null,
): Finding {
  return {
    detector: 'manifest',
    rule: `manifest.${rule}`,
    severity: 'high',
    record: null,
    file,
    line: null,
    field: rule,
    message,
    evidence,
    score: 1,
  };
}

/** Compares a declared manifest with the facts and findings; returns contradictions. */
export function checkManifest(
  declared: DatasetManifest,
  facts: ManifestFacts,
  scanFindings: readonly Finding[],
): Finding[] {
  const out: Finding[] = [];
  if (declared.record_count !== undefined && declared.record_count !== facts.record_count) {
    out.push(
      contradiction(
        'record_count',
        `manifest declares ${declared.record_count} records, the data has ${facts.record_count}`,
        {
          declared: declared.record_count,
          actual: facts.record_count,
        },
      ),
    );
  }
  if (declared.digest !== undefined && declared.digest !== facts.digest) {
    out.push(
      contradiction(
        'digest',
        'dataset digest differs from the manifest: the data changed since it was approved',
        { declared: declared.digest, actual: facts.digest },
      ),
    );
  }
  if (declared.files.length > 0) {
    const actual = new Map(facts.files.map((f) => [f.path, f]));
    const declaredPaths = new Set(declared.files.map((f) => f.path));
    for (const f of declared.files) {
      const a = actual.get(f.path);
      if (!a)
        out.push(
          contradiction(
            'files',
            `manifest lists ${f.path}, which is not in the dataset`,
            { path: f.path },
            f.path,
          ),
        );
      else if (a.sha256 !== f.sha256) {
        out.push(
          contradiction(
            'files',
            `${f.path}: sha256 differs from the manifest`,
            { path: f.path, declared: f.sha256, actual: a.sha256 },
            f.path,
          ),
        );
      } else if (f.records !== undefined && f.records !== a.records) {
        out.push(
          contradiction(
            'files',
            `${f.path}: manifest declares ${f.records} records, the file has ${a.records}`,
            { path: f.path, declared: f.records, actual: a.records },
            f.path,
          ),
        );
      }
    }
    for (const a of facts.files) {
      if (!declaredPaths.has(a.path))
        out.push(
          contradiction(
            'files',
            `${a.path} is in the dataset but not in the manifest`,
            { path: a.path },
            a.path,
          ),
        );
    }
  }
  const pii = scanFindings.filter((f) => PII_DETECTORS.includes(f.detector));
  if (declared.pii_classification === 'none' && pii.length > 0) {
    const first = pii[0] as Finding;
    out.push(
      contradiction(
        'pii_classification',
        `manifest declares pii_classification: none, but PII was found (${pii.length} findings, first at ${first.file ?? '?'}:${first.line ?? '?'})`,
        {
          pii_findings: pii.length,
          examples: pii
            .slice(0, 5)
            .map((f) => ({ record: f.record, rule: f.rule ?? f.detector, file: f.file, line: f.line })),
        },
      ),
    );
  }
  return out;
}

/**
 * Computes a dataset's manifest facts (file digests, dataset digest, record
 * count, statistics incl. duplicate rate) by scanning it with the duplicate
 * and PII detectors, and checks them against a declared manifest if given.
 */
export async function datasetManifest(
  path: string,
  options: { manifestPath?: string; scan?: ScanOptions } = {},
): Promise<ManifestCheck> {
  const declared = options.manifestPath ? await loadManifest(options.manifestPath) : undefined;
  const available = new Set(allDetectors().map((d) => d.id));
  const detectors = ['exact-duplicate', ...PII_DETECTORS.filter((id) => available.has(id))];
  const result: ScanResult = await scanDataset(path, {
    ...options.scan,
    detectors: options.scan?.detectors ?? detectors,
  });
  const facts: ManifestFacts = {
    files: result.files.map((f) => ({
      path: f.path,
      sha256: f.sha256,
      bytes: f.bytes,
      records: f.records,
      ...(f.format ? { format: f.format } : {}),
    })),
    digest: result.digest,
    record_count: result.records,
    stats: { duplicate_rate: 0, ...result.stats },
  };
  const scanFindings = result.report.findings;
  if (!declared) return { facts, findings: [], scanFindings };
  const findings = checkManifest(declared, facts, scanFindings);
  const manifest = parseContract(
    DatasetManifestSchema,
    {
      ...declared,
      files: facts.files,
      digest: facts.digest,
      record_count: facts.record_count,
      stats: { ...(declared.stats ?? {}), ...facts.stats },
    },
    `${options.manifestPath} (filled)`,
  );
  return { facts, manifest, findings, scanFindings };
}

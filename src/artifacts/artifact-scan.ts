import { lstatSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import type { Finding, ScanReport } from '../contracts/finding.js';
import { buildScanReport } from '../scan/report/index.js';
import { ArtifactError } from './artifact-error.js';
import { artifactFinding } from './artifact-finding.js';
import { scanArtifactBytes } from './containers/artifact-file-scan.js';
import { withFile } from './file-range.js';
import { inspectChatTemplate } from './gguf/chat-template-inspect.js';
import { buildModelManifest, type ModelManifest, sha256File } from './model-manifest.js';
import { checkShardedIndex } from './safetensors/sharded-index.js';
import { parseStrictJson } from './safetensors/strict-json.js';

/** Paths model_signing ignores by default (VCS metadata), and so do we. */
const IGNORED_DIRS = new Set(['.git', '.gitattributes', '.github', '.hg']);

/** Options of {@link scanArtifact}. */
export interface ArtifactScanOptions {
  /** Called after each file, for progress output. */
  onFile?: (path: string) => void;
}

/** Everything `tunegate artifact scan` produces: the findings report and the file manifest. */
export interface ArtifactScanResult {
  report: ScanReport;
  manifest: ModelManifest;
}

/**
 * Scans a model file or directory: every file by content (see
 * {@link scanArtifactBytes}), sharded safetensors indexes, chat templates in
 * tokenizer configs, and symlinks; and builds the signing manifest.
 */
export function scanArtifact(path: string, options: ArtifactScanOptions = {}): ArtifactScanResult {
  const startedAt = new Date();
  const root = resolve(path);
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(root);
  } catch (err) {
    throw new ArtifactError('artifact.input_not_found', `${path}: no such file or directory`, { cause: err });
  }
  const findings: Finding[] = [];
  const files: { abs: string; rel: string }[] = [];
  const ignored: string[] = [];
  if (st.isDirectory()) walk(root, root, files, ignored, findings);
  else if (st.isFile()) files.push({ abs: root, rel: basename(root) });
  else throw new ArtifactError('artifact.unsupported_format', `${path}: not a regular file or directory`);

  const perFile: Record<string, unknown>[] = [];
  const hashes: { path: string; sha256: string }[] = [];
  for (const f of files.sort((a, b) => (a.rel < b.rel ? -1 : 1))) {
    const sha256 = sha256File(f.abs);
    hashes.push({ path: f.rel, sha256 });
    const scanned = withFile(f.abs, (file) => scanArtifactBytes(file, f.rel));
    findings.push(...scanned.findings);
    perFile.push({ path: f.rel, sha256, ...scanned.facts });
    if (f.rel.endsWith('.index.json') && scanned.format === 'unknown') {
      findings.push(...checkShardedIndex(f.abs, f.rel));
    }
    if (basename(f.rel) === 'tokenizer_config.json') findings.push(...tokenizerTemplates(f.abs, f.rel));
    if (f.rel.endsWith('.jinja'))
      findings.push(...inspectChatTemplate(readFileSync(f.abs, 'utf8'), f.rel, '$'));
    options.onFile?.(f.rel);
  }
  const manifest = buildModelManifest(basename(root), hashes, ignored);
  const report = buildScanReport({
    kind: 'artifact',
    subject: {
      path: root,
      type: st.isDirectory() ? 'directory' : 'file',
      files: perFile,
      root_digest: manifest.subject[0]?.digest.sha256,
      manifest,
    },
    records: files.length,
    findings,
    startedAt,
  });
  return { report, manifest };
}

function walk(
  root: string,
  dir: string,
  out: { abs: string; rel: string }[],
  ignored: string[],
  findings: Finding[],
): void {
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const rel = relative(root, abs).split(sep).join('/');
    if (IGNORED_DIRS.has(name)) {
      ignored.push(rel);
      continue;
    }
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) {
      findings.push(
        artifactFinding({
          detector: 'manifest',
          rule: 'symlink',
          severity: 'medium',
          file: rel,
          message: 'symbolic link: not followed, not part of the manifest (can point outside the model)',
        }),
      );
      continue;
    }
    if (st.isDirectory()) walk(root, abs, out, ignored, findings);
    else if (st.isFile()) out.push({ abs, rel });
  }
}

function tokenizerTemplates(abs: string, rel: string): Finding[] {
  let value: unknown;
  try {
    value = parseStrictJson(readFileSync(abs, 'utf8')).value;
  } catch {
    return [];
  }
  const t = (value as { chat_template?: unknown } | null)?.chat_template;
  if (typeof t === 'string') return inspectChatTemplate(t, rel, '$.chat_template');
  if (Array.isArray(t)) {
    return t.flatMap((item, i) => {
      const tpl = (item as { template?: unknown } | null)?.template;
      return typeof tpl === 'string' ? inspectChatTemplate(tpl, rel, `$.chat_template[${i}].template`) : [];
    });
  }
  return [];
}

import { extname } from 'node:path';
import type { Finding, Severity } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';
import { BufferRange, type ByteRange } from '../file-range.js';
import { inspectChatTemplate } from '../gguf/chat-template-inspect.js';
import { readGguf } from '../gguf/gguf-reader.js';
import { scanPickle } from '../pickle/pickle-scanner.js';
import { readSafetensorsHeaderFrom } from '../safetensors/safetensors-header.js';
import { PICKLE_EXTENSIONS, type SniffedFormat, sniffFormat } from './format-sniff.js';
import { readNpyHeader } from './npy-file.js';
import { entryBytes, readZip } from './zip-archive.js';

/** What scanning one file found out. */
export interface FileScanResult {
  format: SniffedFormat;
  findings: Finding[];
  /** Facts for the report (tensor counts, pickle imports, zip members...). */
  facts: Record<string, unknown>;
}

const MAX_NESTING = 3;

/** Extensions that promise a format; content that disagrees is a disguise. */
const PROMISED: Record<string, SniffedFormat[]> = {
  '.safetensors': ['safetensors'],
  '.gguf': ['gguf'],
  '.npy': ['npy'],
  '.npz': ['zip'],
};

/**
 * Scans one file (or archive member) by its content: safetensors and GGUF
 * structure, pickles (plain, legacy PyTorch, inside zips and object `.npy`),
 * zip containers, TorchScript archives, opaque wrappers (7z, gzip, rar, tar).
 */
export function scanArtifactBytes(file: ByteRange, display: string, depth = 0): FileScanResult {
  const format = sniffFormat(file);
  const findings: Finding[] = [];
  const facts: Record<string, unknown> = { format, bytes: file.size };
  const flag = (
    detector: 'container' | 'pickle',
    rule: string,
    severity: Severity,
    message: string,
    field?: string,
  ) =>
    findings.push(
      artifactFinding({ detector, rule, severity, file: display, field: field ?? null, message }),
    );
  const ext = extname(display.slice(display.lastIndexOf('!') + 1)).toLowerCase();
  const promised = PROMISED[ext];
  if (promised && !promised.includes(format))
    flag('container', 'extension_mismatch', 'high', `named ${ext} but the content is ${format}`);

  switch (format) {
    case 'safetensors': {
      const h = readSafetensorsHeaderFrom(file, display);
      findings.push(...h.findings);
      facts.tensors = h.tensors.length;
      if (h.metadata) facts.metadata_keys = Object.keys(h.metadata).length;
      break;
    }
    case 'gguf': {
      const g = readGguf(file, display);
      findings.push(...g.findings);
      facts.gguf_version = g.version;
      facts.tensors = g.tensors.length;
      facts.metadata_keys = g.metadata.size;
      for (const [key, value] of g.metadata) {
        if (
          (key === 'tokenizer.chat_template' || key.startsWith('tokenizer.chat_template.')) &&
          typeof value === 'string'
        )
          findings.push(...inspectChatTemplate(value, display, key));
      }
      break;
    }
    case 'zip':
      scanZip(file, display, depth, findings, facts);
      break;
    case 'npy':
      scanNpy(file, display, findings, facts);
      break;
    case 'torch-legacy': {
      const r = scanPickle({ file, start: 0, end: file.size }, { file: display, pickles: 5, rawTail: true });
      findings.push(...r.findings);
      facts.pickle = { protocol: r.protocol, imports: r.imports };
      break;
    }
    case 'pickle': {
      const r = scanPickle({ file, start: 0, end: file.size }, { file: display });
      findings.push(...r.findings);
      facts.pickle = { protocol: r.protocol, imports: r.imports };
      break;
    }
    case '7z':
      flag(
        'container',
        'opaque_archive',
        'high',
        '7z archive: contents cannot be inspected, and loaders that unpack it run what is inside',
      );
      break;
    case 'gzip':
    case 'rar':
    case 'tar':
      flag(
        'container',
        'opaque_archive',
        'medium',
        `${format} wrapper: contents are not inspected; unpack and scan them`,
      );
      break;
    default:
      if (PICKLE_EXTENSIONS.includes(ext))
        flag(
          'container',
          'unrecognized_format',
          'medium',
          `extension ${ext} suggests a pickle-based checkpoint but the content is not a known format`,
        );
  }
  return { format, findings, facts };
}

function scanNpy(
  file: ByteRange,
  display: string,
  findings: Finding[],
  facts: Record<string, unknown>,
): void {
  const h = readNpyHeader(file);
  if (typeof h === 'string') {
    findings.push(
      artifactFinding({
        detector: 'container',
        rule: 'npy_malformed',
        severity: 'high',
        file: display,
        message: `malformed .npy: ${h}`,
      }),
    );
    return;
  }
  facts.npy = { descr: h.descr, shape: h.shape, objects: h.objects };
  if (!h.objects) return;
  findings.push(
    artifactFinding({
      detector: 'container',
      rule: 'npy_object_array',
      severity: 'high',
      file: display,
      message: `object array (dtype ${h.descr}): loading needs allow_pickle=True and unpickles the data`,
    }),
  );
  const r = scanPickle({ file, start: h.dataStart, end: file.size }, { file: display, field: 'data' });
  findings.push(...r.findings);
  facts.pickle = { protocol: r.protocol, imports: r.imports };
}

function scanZip(
  file: ByteRange,
  display: string,
  depth: number,
  findings: Finding[],
  facts: Record<string, unknown>,
): void {
  const z = readZip(file, display);
  findings.push(...z.findings);
  facts.members = z.entries.length;
  if (!z.readable) return;
  const flag = (rule: string, severity: Severity, message: string, field?: string) =>
    findings.push(
      artifactFinding({
        detector: 'container',
        rule,
        severity,
        file: display,
        field: field ?? null,
        message,
      }),
    );
  const code = z.entries.filter((e) => /(^|\/)code\//.test(e.name) || /(^|\/)constants\.pkl$/.test(e.name));
  if (code.length > 0)
    flag(
      'torchscript',
      'high',
      `TorchScript archive (${code.length} code/constants members): torch.jit.load runs the serialized code`,
      code[0]?.name,
    );
  const pickles: unknown[] = [];
  for (const e of z.entries) {
    if (e.dataStart < 0 || e.name.endsWith('/')) continue;
    const member = `${display}!${e.name}`;
    const lower = e.name.toLowerCase();
    if (lower.endsWith('.pkl')) {
      const src =
        e.method === 0
          ? { file, start: e.dataStart, end: e.dataStart + e.compressedSize }
          : (() => {
              const bytes = entryBytes(file, e);
              return bytes ? { buffer: bytes } : null;
            })();
      if (src === null) {
        flag(
          'uninspectable_member',
          'high',
          `pickle member ${JSON.stringify(e.name)} cannot be decompressed for inspection`,
          e.name,
        );
        continue;
      }
      const r = scanPickle(src, { file: display, field: e.name });
      findings.push(...r.findings);
      pickles.push({ member: e.name, protocol: r.protocol, imports: r.imports });
      continue;
    }
    if (/(^|\/)data\/\d+$/.test(e.name) || /(^|\/)(version|byteorder|\.data\/.*)$/.test(e.name)) continue;
    // Nested content: sniff the member itself.
    const head =
      e.method === 0
        ? file.read(e.dataStart, Math.min(512, e.compressedSize))
        : entryBytes(file, e)?.subarray(0, 512);
    if (!head) continue;
    const kind = sniffFormat(new BufferRange(head));
    const nestedKinds: SniffedFormat[] = [
      'zip',
      '7z',
      'npy',
      'pickle',
      'torch-legacy',
      'gzip',
      'rar',
      'tar',
      'gguf',
    ];
    if (!nestedKinds.includes(kind) && !lower.endsWith('.npy')) continue;
    if (kind === 'zip' || kind === '7z')
      flag(
        'nested_archive',
        'medium',
        `member ${JSON.stringify(e.name)} is itself a ${kind} archive`,
        e.name,
      );
    if (depth >= MAX_NESTING) {
      flag(
        'nesting_too_deep',
        'high',
        `archives nested deeper than ${MAX_NESTING} levels at ${JSON.stringify(e.name)}`,
        e.name,
      );
      continue;
    }
    const bytes = entryBytes(file, e);
    if (!bytes) {
      flag(
        'uninspectable_member',
        'high',
        `member ${JSON.stringify(e.name)} is too large or cannot be decompressed for inspection`,
        e.name,
      );
      continue;
    }
    const nested = scanArtifactBytes(new BufferRange(bytes), member, depth + 1);
    findings.push(...nested.findings);
  }
  if (pickles.length > 0) facts.pickles = pickles;
}

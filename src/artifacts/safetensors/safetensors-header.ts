import type { Finding, Severity } from '../../contracts/finding.js';
import { ArtifactError } from '../artifact-error.js';
import { artifactFinding } from '../artifact-finding.js';
import { type ByteRange, withFile } from '../file-range.js';
import { JsonSyntaxError, type JsonValue, parseStrictJson } from './strict-json.js';

/**
 * Strict safetensors header reader.
 *
 * Hand-written (no JS safetensors library is strict): it enforces every rule of
 * the reference Rust implementation (`safetensors::tensor::SafeTensors::read_metadata`
 * and `Metadata::validate`) and then what the reference lets through — duplicate
 * keys, unknown entry fields, unsafe integers, dtypes off the allowlist, oversized
 * `__metadata__`. Only the 8-byte length and the header are read; tensor data is
 * read later by byte range.
 */

/** Reference limit on the header length (`MAX_HEADER_SIZE`). */
export const MAX_HEADER_BYTES = 100_000_000;
/** Above this many bytes of `__metadata__` (keys + values) we flag the header: metadata is free text. */
export const MAX_METADATA_BYTES = 1 << 20;

/** Bits per element of every dtype we accept (the reference's list, sub-byte floats included). */
export const DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  U8: 8,
  I8: 8,
  F8_E4M3: 8,
  F8_E5M2: 8,
  F8_E8M0: 8,
  F8_E4M3FNUZ: 8,
  F8_E5M2FNUZ: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U16: 16,
  I16: 16,
  F16: 16,
  BF16: 16,
  U32: 32,
  I32: 32,
  F32: 32,
  U64: 64,
  I64: 64,
  F64: 64,
  C64: 64,
};

const ENTRY_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

/** One tensor of a safetensors file, with absolute file offsets of its bytes. */
export interface SafetensorsTensor {
  name: string;
  dtype: string;
  shape: number[];
  /** Absolute offset of the first byte in the file. */
  begin: number;
  /** Absolute offset one past the last byte. */
  end: number;
}

/** The parsed header and everything found wrong with it. */
export interface SafetensorsHeader {
  /** Tensors sorted by offset; only entries whose own fields were well-formed. */
  tensors: SafetensorsTensor[];
  metadata: Record<string, string> | null;
  headerLength: number;
  /** Absolute offset of the data section (8 + header length). */
  dataStart: number;
  fileSize: number;
  findings: Finding[];
  /** False when a rule the reference loader enforces is violated (it would refuse the file). */
  loadable: boolean;
}

/** Reads and validates the header of the safetensors file at `path`. */
export function readSafetensorsHeader(path: string, displayName = path): SafetensorsHeader {
  return withFile(path, (file) => readSafetensorsHeaderFrom(file, displayName));
}

/** Like {@link readSafetensorsHeader} over an open file. Never throws on malformed content. */
export function readSafetensorsHeaderFrom(file: ByteRange, displayName: string): SafetensorsHeader {
  const findings: Finding[] = [];
  const out: SafetensorsHeader = {
    tensors: [],
    metadata: null,
    headerLength: 0,
    dataStart: 8,
    fileSize: file.size,
    findings,
    loadable: true,
  };
  const flag = (
    rule: string,
    severity: Severity,
    message: string,
    field?: string,
    evidence?: Record<string, unknown>,
  ) => {
    findings.push(
      artifactFinding({
        detector: 'safetensors',
        rule,
        severity,
        file: displayName,
        message,
        field: field ?? null,
        evidence,
      }),
    );
    if (severity === 'high' || severity === 'critical') out.loadable = false;
  };

  if (file.size < 8) {
    flag('header_too_small', 'high', `file is ${file.size} bytes, shorter than the 8-byte header length`);
    return out;
  }
  const lenBuf = file.read(0, 8);
  const n64 = lenBuf.readBigUInt64LE(0);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    flag('header_too_large', 'high', `header length ${n64} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
    return out;
  }
  const n = Number(n64);
  out.headerLength = n;
  out.dataStart = 8 + n;
  if (8 + n > file.size) {
    flag(
      'invalid_header_length',
      'high',
      `header length ${n} runs past the end of the ${file.size}-byte file`,
    );
    return out;
  }
  const headerBytes = file.read(8, n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
  } catch {
    flag('invalid_utf8', 'high', 'header is not valid UTF-8');
    return out;
  }
  if (!text.startsWith('{')) {
    flag(
      'invalid_header_start',
      'high',
      `header must start with "{", found ${JSON.stringify(text.slice(0, 1))}`,
    );
    return out;
  }
  let root: JsonValue;
  try {
    const parsed = parseStrictJson(text);
    root = parsed.value;
    for (const issue of parsed.issues) {
      flag(issue.kind, 'high', `header ${issue.message}`, issue.path);
    }
  } catch (err) {
    if (err instanceof JsonSyntaxError) {
      flag('invalid_json', 'high', `header is not valid JSON: ${err.message} (byte ${8 + err.offset})`);
      return out;
    }
    throw err;
  }
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    flag('invalid_json', 'high', 'header must be a JSON object');
    return out;
  }

  const entries: SafetensorsTensor[] = [];
  const raw: { name: string; start: number; stop: number; elements: bigint; bits: number }[] = [];
  for (const [name, entry] of Object.entries(root)) {
    const field = `$[${JSON.stringify(name)}]`;
    if (name === '__metadata__') {
      out.metadata = checkMetadata(entry, flag);
      continue;
    }
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
      flag('invalid_entry', 'high', `tensor ${JSON.stringify(name)}: entry must be an object`, field);
      continue;
    }
    for (const key of Object.keys(entry)) {
      if (!ENTRY_FIELDS.has(key))
        flag(
          'unknown_field',
          'medium',
          `tensor ${JSON.stringify(name)}: unknown field ${JSON.stringify(key)}`,
          `${field}.${key}`,
        );
    }
    const { dtype, shape, data_offsets: offsets } = entry as Record<string, JsonValue | undefined>;
    if (typeof dtype !== 'string') {
      flag(
        'invalid_entry',
        'high',
        `tensor ${JSON.stringify(name)}: dtype must be a string`,
        `${field}.dtype`,
      );
      continue;
    }
    const bits = DTYPE_BITS[dtype];
    if (bits === undefined) {
      flag(
        'unknown_dtype',
        'high',
        `tensor ${JSON.stringify(name)}: unknown dtype ${JSON.stringify(dtype)}`,
        `${field}.dtype`,
      );
      continue;
    }
    if (
      !Array.isArray(shape) ||
      !shape.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
    ) {
      flag(
        'invalid_shape',
        'high',
        `tensor ${JSON.stringify(name)}: shape must be a list of non-negative safe integers`,
        `${field}.shape`,
      );
      continue;
    }
    if (
      !Array.isArray(offsets) ||
      offsets.length !== 2 ||
      !offsets.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)
    ) {
      flag(
        'invalid_offsets',
        'high',
        `tensor ${JSON.stringify(name)}: data_offsets must be two non-negative safe integers`,
        `${field}.data_offsets`,
      );
      continue;
    }
    // BigInt product: the reference uses checked_mul; a safe-integer product can still overflow 2^53.
    let elements = 1n;
    for (const d of shape as number[]) elements *= BigInt(d);
    raw.push({ name, start: offsets[0] as number, stop: offsets[1] as number, elements, bits });
    entries.push({
      name,
      dtype,
      shape: shape as number[],
      begin: out.dataStart + (offsets[0] as number),
      end: out.dataStart + (offsets[1] as number),
    });
  }

  // Metadata::validate: sorted by offsets, starting at 0, contiguous, size = elements x dtype.
  const order = raw
    .map((_, i) => i)
    .sort((a, b) => (raw[a]?.start ?? 0) - (raw[b]?.start ?? 0) || (raw[a]?.stop ?? 0) - (raw[b]?.stop ?? 0));
  let cursor = 0;
  for (const i of order) {
    const r = raw[i];
    if (r === undefined) continue;
    const field = `$[${JSON.stringify(r.name)}].data_offsets`;
    if (r.start !== cursor) {
      const what =
        r.start > cursor ? `gap of ${r.start - cursor} bytes` : `overlap of ${cursor - r.start} bytes`;
      flag(
        'invalid_offset',
        'high',
        `tensor ${JSON.stringify(r.name)}: data starts at ${r.start}, expected ${cursor} (${what})`,
        field,
      );
    }
    if (r.stop < r.start) {
      flag(
        'invalid_offset',
        'high',
        `tensor ${JSON.stringify(r.name)}: end offset ${r.stop} before start ${r.start}`,
        field,
      );
    }
    const totalBits = r.elements * BigInt(r.bits);
    if (totalBits % 8n !== 0n) {
      flag(
        'misaligned_slice',
        'high',
        `tensor ${JSON.stringify(r.name)}: ${r.elements} elements x ${r.bits} bits is not a whole number of bytes`,
        field,
      );
    } else if (totalBits / 8n !== BigInt(r.stop) - BigInt(r.start)) {
      flag(
        'size_mismatch',
        'high',
        `tensor ${JSON.stringify(r.name)}: shape needs ${totalBits / 8n} bytes but data_offsets span ${r.stop - r.start}`,
        field,
      );
    }
    cursor = Math.max(cursor, r.stop);
  }
  const dataBytes = file.size - out.dataStart;
  if (cursor !== dataBytes) {
    flag(
      cursor < dataBytes ? 'trailing_bytes' : 'incomplete_buffer',
      'high',
      cursor < dataBytes
        ? `${dataBytes - cursor} bytes after the last tensor are not covered by any tensor`
        : `tensors need ${cursor} data bytes but the file holds ${dataBytes}`,
    );
  }
  out.tensors = entries.sort((a, b) => a.begin - b.begin);
  return out;
}

function checkMetadata(
  entry: JsonValue,
  flag: (rule: string, severity: Severity, message: string, field?: string) => void,
): Record<string, string> | null {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    flag('invalid_metadata', 'high', '__metadata__ must be an object of strings', '$.__metadata__');
    return null;
  }
  const meta: Record<string, string> = {};
  let bytes = 0;
  for (const [k, v] of Object.entries(entry)) {
    if (typeof v !== 'string') {
      flag(
        'invalid_metadata',
        'high',
        `__metadata__ value of ${JSON.stringify(k)} must be a string`,
        `$.__metadata__[${JSON.stringify(k)}]`,
      );
      continue;
    }
    bytes += Buffer.byteLength(k) + Buffer.byteLength(v);
    meta[k] = v;
  }
  if (bytes > MAX_METADATA_BYTES) {
    flag(
      'oversized_metadata',
      'medium',
      `__metadata__ holds ${bytes} bytes (limit ${MAX_METADATA_BYTES}); free text can hide payloads`,
      '$.__metadata__',
    );
  }
  return meta;
}

/** Reads a header and throws {@link ArtifactError} if a loader would refuse the file (for weight diffs). */
export function requireLoadableSafetensors(path: string): SafetensorsHeader {
  const header = readSafetensorsHeader(path);
  if (!header.loadable) {
    const first = header.findings.find((f) => f.severity === 'high' || f.severity === 'critical');
    throw new ArtifactError(
      'artifact.malformed_input',
      `${path}: ${first?.message ?? 'malformed safetensors file'}`,
      {
        details: { file: path, field: first?.field ?? null },
      },
    );
  }
  return header;
}

import type { ByteRange } from '../file-range.js';

/** Formats recognised from content (never from the file extension). */
export type SniffedFormat =
  | 'safetensors'
  | 'gguf'
  | 'zip'
  | 'npy'
  | 'torch-legacy'
  | 'pickle'
  | '7z'
  | 'gzip'
  | 'rar'
  | 'tar'
  | 'unknown';

/** Bytes of the first pickle of a legacy `torch.save` file: protocol 2, LONG1 magic 0x1950a86a20f9469cfc6c, STOP. */
const TORCH_LEGACY_MAGIC = Buffer.from([
  0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
]);

/** Opcodes a protocol 0/1 pickle plausibly starts with (protocol 2+ starts with PROTO 0x80). */
const PICKLE_START = new Set([
  0x28, 0x63, 0x7d, 0x5d, 0x29, 0x4e, 0x4b, 0x4a, 0x58, 0x55, 0x53, 0x56, 0x49, 0x46, 0x47, 0x6c, 0x64, 0x69,
]);

/** Identifies a file by its first bytes. */
export function sniffFormat(file: ByteRange): SniffedFormat {
  const head = file.read(0, 512);
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'zip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0x06054b50) return 'zip';
  if (head.subarray(0, 6).equals(Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]))) return 'npy';
  if (head.subarray(0, 6).equals(Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]))) return '7z';
  if (head.subarray(0, 4).toString('latin1') === 'GGUF') return 'gguf';
  if (head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.subarray(0, 4).toString('latin1') === 'Rar!') return 'rar';
  if (head.length >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
  if (head.subarray(0, TORCH_LEGACY_MAGIC.length).equals(TORCH_LEGACY_MAGIC)) return 'torch-legacy';
  if (head.length >= 9) {
    const n = head.readBigUInt64LE(0);
    if (n > 1n && n + 8n <= BigInt(file.size) && head[8] === 0x7b) return 'safetensors';
  }
  if (head[0] === 0x80 && (head[1] ?? 99) <= 5) return 'pickle';
  if (head[0] === 0x95) return 'pickle';
  if (
    head[0] !== undefined &&
    PICKLE_START.has(head[0]) &&
    file.read(file.size - 1, 1)[0] === 0x2e &&
    looksLikeProtocol0(head)
  )
    return 'pickle';
  return 'unknown';
}

/**
 * A protocol 0/1 pickle ends with STOP ('.', checked by the caller) and its
 * second opcode is one that can follow the first; GLOBAL must be `c<module>\n<name>\n`.
 */
function looksLikeProtocol0(head: Buffer): boolean {
  if (head[0] === 0x63) return /^c[A-Za-z_][\w.]*\n[A-Za-z_][\w.]*\n/.test(head.toString('latin1'));
  if (head[0] === 0x28)
    return /^\((d|l|t|c|i|\(|S'|V|I\d|F\d|N|K|J|X|U|q|p\d|\}|\]|\)|0)/.test(head.toString('latin1'));
  // EMPTY_DICT/LIST/TUPLE then a memo PUT, MARK or STOP.
  return head.length >= 2 && [0x70, 0x71, 0x28, 0x2e, 0x94].includes(head[1] as number);
}

/** Extensions whose loaders (torch.load, pickle.load, joblib) unpickle. */
export const PICKLE_EXTENSIONS = [
  '.pkl',
  '.pickle',
  '.pt',
  '.pth',
  '.bin',
  '.ckpt',
  '.joblib',
  '.dat',
  '.data',
];

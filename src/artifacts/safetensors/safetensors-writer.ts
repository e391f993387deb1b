import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { DTYPE_BITS } from './safetensors-header.js';

/** One tensor to write: its bytes, or a producer that writes them in pieces (for files larger than memory). */
export interface TensorToWrite {
  name: string;
  dtype: string;
  shape: number[];
  data: Uint8Array | ((write: (bytes: Uint8Array) => void) => void);
}

/**
 * Writes a safetensors file atomically (temp file + rename): header padded with
 * spaces to a multiple of 8 bytes, tensors contiguous in the given order.
 * Used by tests, benchmarks and tools that produce fixtures.
 */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  metadata?: Record<string, string>,
): void {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bits = DTYPE_BITS[t.dtype];
    if (bits === undefined) throw new Error(`unknown dtype ${t.dtype}`);
    const bytes = (t.shape.reduce((a, b) => a * b, 1) * bits) / 8;
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8);
  const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
  const fd = openSync(tmp, 'w');
  try {
    const len = Buffer.alloc(8);
    len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
    writeAll(fd, len);
    writeAll(fd, Buffer.from(json));
    for (const t of tensors) {
      if (typeof t.data === 'function') t.data((b) => writeAll(fd, b));
      else writeAll(fd, t.data);
    }
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, path);
  } catch (err) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw err;
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done, bytes.length - done);
}

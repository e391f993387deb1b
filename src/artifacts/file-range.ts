import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Random access to bytes: a file (read by position) or a buffer (a member inflated from an archive). */
export interface ByteRange {
  readonly size: number;
  /** Bytes `[position, position + length)`, fewer only at the end. */
  read(position: number, length: number, target?: Buffer): Buffer;
}

/** A {@link ByteRange} over bytes already in memory. */
export class BufferRange implements ByteRange {
  readonly size: number;

  constructor(private readonly bytes: Buffer) {
    this.size = bytes.length;
  }

  read(position: number, length: number): Buffer {
    return this.bytes.subarray(Math.max(0, position), Math.min(this.size, position + length));
  }
}

/**
 * A read-only file opened for positional reads. Every reader in this module
 * goes through it so that no file is ever loaded whole: callers ask for the
 * byte ranges they need (`fs.read` with a position).
 */
export class FileRange implements ByteRange {
  readonly fd: number;
  readonly size: number;

  private constructor(
    readonly path: string,
    fd: number,
  ) {
    this.fd = fd;
    this.size = fstatSync(fd).size;
  }

  /** Opens `path` read-only; the caller must {@link close} it (use {@link withFile}). */
  static open(path: string): FileRange {
    return new FileRange(path, openSync(path, 'r'));
  }

  /** Reads exactly `length` bytes at `position`; returns fewer only at end of file. */
  read(position: number, length: number, target?: Buffer): Buffer {
    const len = Math.max(0, Math.min(length, this.size - position));
    const buf = target && target.length >= len ? target.subarray(0, len) : Buffer.allocUnsafe(len);
    let done = 0;
    while (done < len) {
      const n = readSync(this.fd, buf, done, len - done, position + done);
      if (n === 0) break;
      done += n;
    }
    return done === len ? buf : buf.subarray(0, done);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/** Opens `path`, runs `fn`, and always closes the file. */
export function withFile<T>(path: string, fn: (file: FileRange) => T): T {
  const file = FileRange.open(path);
  try {
    return fn(file);
  } finally {
    file.close();
  }
}

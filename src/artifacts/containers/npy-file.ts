import type { ByteRange } from '../file-range.js';

/** Parsed NumPy `.npy` header. */
export interface NpyHeader {
  version: string;
  descr: string;
  fortranOrder: boolean;
  shape: number[];
  /** Absolute offset where the array data (or the pickle of an object array) starts. */
  dataStart: number;
  /** True when the dtype holds Python objects: loading needs `allow_pickle=True` and unpickles the data. */
  objects: boolean;
}

/** Reads a `.npy` header; returns an error message instead of throwing when malformed. */
export function readNpyHeader(file: ByteRange): NpyHeader | string {
  const pre = file.read(0, 12);
  if (pre.length < 10) return 'file is shorter than the .npy preamble';
  const major = pre[6] as number;
  const minor = pre[7] as number;
  if (major < 1 || major > 3) return `unsupported .npy version ${major}.${minor}`;
  const wide = major >= 2;
  if (wide && pre.length < 12) return 'file is shorter than the .npy preamble';
  const len = wide ? pre.readUInt32LE(8) : pre.readUInt16LE(8);
  const start = wide ? 12 : 10;
  if (len > 1 << 20 || start + len > file.size)
    return `header length ${len} runs past the file or exceeds 1 MiB`;
  const text = file.read(start, len).toString(major === 3 ? 'utf8' : 'latin1');
  const descr = /'descr':\s*('(?:[^'\\]|\\.)*'|\[.*\])/s.exec(text)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(text)?.[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(text)?.[1];
  if (descr === undefined || fortran === undefined || shape === undefined)
    return 'header lacks descr, fortran_order or shape';
  const dims = shape
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map(Number);
  if (!dims.every((d) => Number.isSafeInteger(d) && d >= 0)) return `invalid shape (${shape})`;
  // 'O' as a type code: '|O', '<O8', or a structured field ('name', 'O').
  const objects = /(^|['|<>=])O\d*'/.test(descr) || /,\s*'[|<>=]?O\d*'\s*\)/.test(descr);
  return {
    version: `${major}.${minor}`,
    descr,
    fortranOrder: fortran === 'True',
    shape: dims,
    dataStart: start + len,
    objects,
  };
}

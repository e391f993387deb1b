/**
 * Byte-by-byte pickle assembly for tests: each helper returns the bytes of one
 * opcode with its argument, so malicious and malformed streams are explicit.
 */

const b = (...bytes: number[]) => Buffer.from(bytes);
const u32 = (n: number) => {
  const x = Buffer.alloc(4);
  x.writeUInt32LE(n);
  return x;
};
const u64 = (n: bigint | number) => {
  const x = Buffer.alloc(8);
  x.writeBigUInt64LE(BigInt(n));
  return x;
};

/** Opcode helpers. */
export const op = {
  proto: (n: number) => b(0x80, n),
  frame: (len: number | bigint) => Buffer.concat([b(0x95), u64(len)]),
  stop: () => b(0x2e),
  mark: () => b(0x28),
  none: () => b(0x4e),
  int1: (n: number) => b(0x4b, n),
  binint: (n: number) => Buffer.concat([b(0x4a), u32(n >>> 0)]),
  global: (module: string, name: string) => Buffer.from(`c${module}\n${name}\n`, 'latin1'),
  inst: (module: string, name: string) => Buffer.from(`i${module}\n${name}\n`, 'latin1'),
  str: (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    return bytes.length < 256
      ? Buffer.concat([b(0x8c, bytes.length), bytes])
      : Buffer.concat([b(0x58), u32(bytes.length), bytes]);
  },
  binunicode: (s: string) => {
    const bytes = Buffer.from(s, 'utf8');
    return Buffer.concat([b(0x58), u32(bytes.length), bytes]);
  },
  binunicode8Declared: (declared: bigint) => Buffer.concat([b(0x8d), u64(declared)]),
  binbytes: (bytes: Uint8Array) => Buffer.concat([b(0x42), u32(bytes.length), Buffer.from(bytes)]),
  stackGlobal: () => b(0x93),
  emptyTuple: () => b(0x29),
  emptyDict: () => b(0x7d),
  emptyList: () => b(0x5d),
  tuple: () => b(0x74),
  tuple1: () => b(0x85),
  tuple2: () => b(0x86),
  tuple3: () => b(0x87),
  reduce: () => b(0x52),
  build: () => b(0x62),
  setitem: () => b(0x73),
  setitems: () => b(0x75),
  appends: () => b(0x65),
  newFalse: () => b(0x89),
  binput: (i: number) => b(0x71, i),
  binget: (i: number) => b(0x68, i),
  memoize: () => b(0x94),
  binpersid: () => b(0x51),
  ext1: (code: number) => b(0x82, code),
  raw: (...bytes: number[]) => b(...bytes),
};

/** Concatenates opcode byte strings. */
export function pickle(...parts: Buffer[]): Buffer {
  return Buffer.concat(parts);
}

/**
 * A benign `torch.save` state dict pickle (protocol 2): `{'weight': tensor}`
 * built with `_rebuild_tensor_v2`, a persistent-id storage and OrderedDict.
 */
export function torchStateDictPickle(): Buffer {
  return pickle(
    op.proto(2),
    op.emptyDict(),
    op.binput(0),
    op.mark(),
    op.binunicode('weight'),
    op.binput(1),
    op.global('torch._utils', '_rebuild_tensor_v2'),
    op.binput(2),
    op.mark(),
    op.mark(),
    op.binunicode('storage'),
    op.global('torch', 'FloatStorage'),
    op.binunicode('0'),
    op.binunicode('cpu'),
    op.int1(4),
    op.tuple(),
    op.binpersid(),
    op.int1(0),
    op.int1(2),
    op.int1(2),
    op.tuple2(),
    op.int1(2),
    op.int1(1),
    op.tuple2(),
    op.newFalse(),
    op.global('collections', 'OrderedDict'),
    op.emptyTuple(),
    op.reduce(),
    op.tuple(),
    op.reduce(),
    op.binput(3),
    op.setitems(),
    op.stop(),
  );
}

/** `os.system('id')` via GLOBAL + REDUCE, the classic payload. */
export function osSystemPickle(command = 'id'): Buffer {
  return pickle(
    op.proto(2),
    op.global('os', 'system'),
    op.binunicode(command),
    op.tuple1(),
    op.reduce(),
    op.stop(),
  );
}

import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { BufferRange } from '../file-range.js';
import { op, osSystemPickle, pickle, torchStateDictPickle } from '../test-support/pickle-builder.js';
import { buildZip } from '../test-support/zip-builder.js';
import { scanArtifactBytes } from './artifact-file-scan.js';

const scan = (bytes: Buffer, name = 'model.bin') => scanArtifactBytes(new BufferRange(bytes), name);
const rules = (bytes: Buffer, name?: string) =>
  scan(bytes, name).findings.map((f) => `${f.rule}:${f.severity}`);

const torchZip = (pkl: Buffer, extra: { name: string; data: Uint8Array }[] = []) =>
  buildZip([
    { name: 'archive/data.pkl', data: pkl },
    { name: 'archive/byteorder', data: Buffer.from('little') },
    { name: 'archive/data/0', data: Buffer.alloc(16) },
    { name: 'archive/version', data: Buffer.from('3\n') },
    ...extra,
  ]);

function npy(descr: string, shape: string, body: Buffer): Buffer {
  let header = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shape}, }`;
  header += `${' '.repeat(63 - ((10 + header.length) % 64))}\n`;
  const pre = Buffer.alloc(10);
  Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]).copy(pre);
  pre.writeUInt16LE(header.length, 8);
  return Buffer.concat([pre, Buffer.from(header, 'latin1'), body]);
}

describe('container scanning', () => {
  it('accepts a clean PyTorch zip checkpoint', () => {
    const r = scan(torchZip(torchStateDictPickle()), 'pytorch_model.bin');
    expect(r.format).toBe('zip');
    expect(r.findings).toEqual([]);
  });

  it('finds a malicious data.pkl in a zip whatever the file is called', () => {
    expect(rules(torchZip(osSystemPickle()), 'weights.safetensors')).toEqual([
      'container.extension_mismatch:high',
      'pickle.unsafe_global:critical',
    ]);
  });

  it('scans deflated pickle members', () => {
    const z = buildZip([{ name: 'a/data.pkl', data: osSystemPickle(), deflate: true }]);
    expect(rules(z)).toEqual(['pickle.unsafe_global:critical']);
  });

  it('flags local/central name mismatches and CRC errors', () => {
    const z = buildZip([
      { name: 'archive/data.pkl', data: torchStateDictPickle(), localName: 'archive/other.pkl' },
      { name: 'archive/data/0', data: Buffer.alloc(8), crc: 1234 },
    ]);
    expect(rules(z)).toEqual(['container.zip_name_mismatch:high', 'container.zip_crc_mismatch:high']);
  });

  it('recurses into nested archives', () => {
    const inner = torchZip(osSystemPickle());
    const outer = buildZip([{ name: 'bundle/inner.zip', data: inner }]);
    const r = rules(outer);
    expect(r).toContain('container.nested_archive:medium');
    expect(r).toContain('pickle.unsafe_global:critical');
    expect(scan(outer).findings.find((f) => f.rule === 'pickle.unsafe_global')?.file).toBe(
      'model.bin!bundle/inner.zip',
    );
  });

  it('flags TorchScript code directories', () => {
    const z = torchZip(torchStateDictPickle(), [
      { name: 'archive/code/__torch__.py', data: Buffer.from('def forward(self): ...') },
      { name: 'archive/constants.pkl', data: pickle(op.proto(2), op.emptyTuple(), op.stop()) },
    ]);
    expect(rules(z)).toEqual(['container.torchscript:high']);
  });

  it('scans legacy torch.save files as five pickles plus raw storage', () => {
    const magic = Buffer.from([
      0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
    ]);
    const small = pickle(op.proto(2), op.int1(1), op.stop());
    const clean = Buffer.concat([magic, small, small, torchStateDictPickle(), small, Buffer.alloc(64, 0x80)]);
    expect(scan(clean, 'm.pt').format).toBe('torch-legacy');
    expect(rules(clean, 'm.pt')).toEqual([]);
    const bad = Buffer.concat([magic, small, small, osSystemPickle(), small, Buffer.alloc(64)]);
    expect(rules(bad, 'm.pt')).toEqual(['pickle.unsafe_global:critical']);
  });

  it('flags object .npy arrays and scans their pickle', () => {
    const obj = npy('|O', '(1,)', osSystemPickle());
    expect(rules(obj, 'a.npy')).toEqual(['container.npy_object_array:high', 'pickle.unsafe_global:critical']);
    expect(rules(npy('<f4', '(2,)', Buffer.alloc(8)), 'a.npy')).toEqual([]);
    const npz = buildZip([{ name: 'arr_0.npy', data: obj }]);
    expect(rules(npz, 'a.npz')).toContain('pickle.unsafe_global:critical');
  });

  it('flags 7z and other opaque wrappers', () => {
    expect(
      rules(Buffer.concat([Buffer.from([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]), Buffer.alloc(32)])),
    ).toEqual(['container.opaque_archive:high']);
    expect(rules(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0]))).toEqual(['container.opaque_archive:medium']);
  });

  it('sniffs a pickle disguised as JSON and ignores real JSON', () => {
    expect(rules(osSystemPickle(), 'config.json')).toEqual(['pickle.unsafe_global:critical']);
    expect(rules(Buffer.from('{"a": 1}'), 'config.json')).toEqual([]);
  });

  it('never throws on truncated or corrupted zips', () => {
    const good = torchZip(osSystemPickle());
    let seed = 11;
    for (let n = 0; n < good.length; n += 7) expect(() => scan(good.subarray(0, n))).not.toThrow();
    for (let i = 0; i < 500; i++) {
      const copy = Buffer.from(good);
      seed = (seed * 1664525 + 1013904223) >>> 0;
      copy[seed % copy.length] = seed >>> 24;
      expect(() => scan(copy)).not.toThrow();
    }
  });
});

const hasNumpy = spawnSync('python3', ['-c', 'import numpy'], { encoding: 'utf8' }).status === 0;
if (!hasNumpy) console.log('python3 with numpy not found: skipping NumPy-generated fixtures');

describe.skipIf(!hasNumpy)('files written by NumPy', () => {
  it('passes a numeric .npy/.npz and flags an object array with a payload', () => {
    // One interpreter writes all three files, hex-encoded.
    const out = execFileSync(
      'python3',
      [
        '-c',
        `import numpy as np,io,json,os
class P:
  def __reduce__(self): return (os.system, ('id',))
def save(f, *a, **k):
  b=io.BytesIO(); f(b, *a, **k); return b.getvalue().hex()
print(json.dumps([save(np.save, np.arange(6, dtype=np.float32).reshape(2,3)), save(np.savez, a=np.ones(3)), save(np.save, np.array([P(), 1], dtype=object), allow_pickle=True)]))`,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 26 },
    );
    const [clean, npz, evil] = (JSON.parse(out) as string[]).map((h) => Buffer.from(h, 'hex'));
    expect(rules(clean as Buffer, 'a.npy')).toEqual([]);
    expect(rules(npz as Buffer, 'a.npz')).toEqual([]);
    const r = rules(evil as Buffer, 'a.npy');
    expect(r).toContain('container.npy_object_array:high');
    expect(r).toContain('pickle.unsafe_global:critical');
    expect(r.filter((x) => x.startsWith('pickle.')).length).toBe(1);
  });
});

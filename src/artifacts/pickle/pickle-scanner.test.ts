import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { op, osSystemPickle, pickle, torchStateDictPickle } from '../test-support/pickle-builder.js';
import { classifyGlobal } from './pickle-allowlist.js';
import { scanPickle } from './pickle-scanner.js';

const scan = (bytes: Buffer, pickles?: number) => scanPickle({ buffer: bytes }, { file: 'x.pkl', pickles });
const rules = (bytes: Buffer) => scan(bytes).findings.map((f) => `${f.rule}:${f.severity}`);

describe('pickle scanner', () => {
  it('passes a torch state-dict pickle built from allowlisted globals', () => {
    const r = scan(torchStateDictPickle());
    expect(r.findings).toEqual([]);
    expect(r.imports.map((i) => `${i.module}.${i.name}`).sort()).toEqual([
      'collections.OrderedDict',
      'torch.FloatStorage',
      'torch._utils._rebuild_tensor_v2',
    ]);
    expect(r.protocol).toBe(2);
  });

  it('flags os.system as critical', () => {
    expect(rules(osSystemPickle())).toEqual(['pickle.unsafe_global:critical']);
  });

  it('resolves STACK_GLOBAL through the memo and flags builtins.eval', () => {
    const p = pickle(
      op.proto(4),
      op.str('builtins'),
      op.memoize(),
      op.str('eval'),
      op.memoize(),
      op.stackGlobal(),
      op.str('1+1'),
      op.tuple1(),
      op.reduce(),
      op.stop(),
    );
    expect(rules(p)).toEqual(['pickle.unsafe_global:critical']);
  });

  it.each([
    ['subprocess', 'Popen'],
    ['runpy', 'run_path'],
    ['webbrowser', 'open'],
    ['socket', 'create_connection'],
    ['posix', 'system'],
  ])('rates %s.%s critical', (module, name) => {
    expect(classifyGlobal(module, name).severity).toBe('critical');
  });

  it('rates unknown classes high and dotted names off the allowlist critical', () => {
    expect(classifyGlobal('mylib.models', 'Net').severity).toBe('high');
    expect(classifyGlobal('mylib', 'a.b').severity).toBe('critical');
    expect(classifyGlobal('torch._utils', '_rebuild_parameter').allowed).toBe(true);
  });

  it('fails closed on non-constant STACK_GLOBAL arguments', () => {
    // module name is the result of a call: getattr-style gadget
    const p = pickle(
      op.proto(4),
      op.global('collections', 'OrderedDict'),
      op.emptyTuple(),
      op.reduce(),
      op.str('system'),
      op.stackGlobal(),
      op.stop(),
    );
    expect(rules(p)).toContain('pickle.non_constant_global:critical');
  });

  it('fails closed on calls of computed objects', () => {
    const p = pickle(
      op.proto(2),
      op.global('collections', 'OrderedDict'),
      op.emptyTuple(),
      op.reduce(),
      op.emptyTuple(),
      op.reduce(),
      op.stop(),
    );
    expect(rules(p)).toEqual(['pickle.computed_call:critical']);
  });

  it.each([
    ['EXT opcodes', pickle(op.proto(2), op.ext1(1), op.stop())],
    ['unknown opcodes', pickle(op.proto(2), op.raw(0xff), op.stop())],
    ['truncated streams', torchStateDictPickle().subarray(0, 40)],
    ['stack underflow', pickle(op.proto(2), op.reduce(), op.stop())],
    ['unbalanced STOP', pickle(op.proto(2), op.none(), op.none(), op.stop())],
    ['memo reads before writes', pickle(op.proto(2), op.binget(3), op.stop())],
    ['protocol above 5', pickle(op.proto(9), op.none(), op.stop())],
    ['opcodes crossing a FRAME', pickle(op.proto(4), op.frame(2), op.binint(1), op.stop())],
    ['nested FRAMEs', pickle(op.proto(4), op.frame(10), op.frame(1), op.none(), op.stop())],
    ['huge declared lengths', pickle(op.proto(4), op.binunicode8Declared(1n << 50n), op.stop())],
    ['huge 4-byte lengths', pickle(op.proto(4), op.raw(0x58, 0xff, 0xff, 0xff, 0x7f), op.stop())],
  ])('reports %s as a critical parse error', (_name, bytes) => {
    const r = scan(bytes);
    expect(r.findings.some((f) => f.rule === 'pickle.parse_error' && f.severity === 'critical')).toBe(true);
  });

  it('accepts a well-formed FRAME', () => {
    const body = pickle(op.none());
    expect(rules(pickle(op.proto(4), op.frame(body.length + 1), body, op.stop()))).toEqual([]);
  });

  it('flags a second pickle and trailing bytes, but scans the second one too', () => {
    const two = Buffer.concat([torchStateDictPickle(), osSystemPickle()]);
    const r = rules(two);
    expect(r).toContain('pickle.multiple_pickles:critical');
    expect(r).toContain('pickle.unsafe_global:critical');
    expect(rules(Buffer.concat([torchStateDictPickle(), Buffer.from('junk')]))).toEqual([
      'pickle.trailing_data:critical',
    ]);
    expect(scan(two, 2).findings.map((f) => f.rule)).toEqual(['pickle.unsafe_global']);
  });

  it('never throws on bit-flipped pickles', () => {
    const good = torchStateDictPickle();
    let seed = 3;
    for (let i = 0; i < 1000; i++) {
      const copy = Buffer.from(good);
      seed = (seed * 1664525 + 1013904223) >>> 0;
      copy[seed % copy.length] = seed >>> 24;
      expect(() => scan(copy)).not.toThrow();
    }
  });
});

const hasPython = spawnSync('python3', ['-c', 'import pickle'], { encoding: 'utf8' }).status === 0;
if (!hasPython) console.log('python3 not found: skipping pickles generated by CPython');

describe.skipIf(!hasPython)('pickles generated by CPython', () => {
  // One interpreter for all protocols: benign data and a __reduce__ payload, hex-encoded.
  const generated = (): { benign: string[]; evil: string[] } =>
    JSON.parse(
      execFileSync(
        'python3',
        [
          '-c',
          `import pickle,json,collections,os
class P:
  def __reduce__(self): return (os.system, ('id',))
data={'a':[1,2.5,'x',b'y',None,True,(1,2)],'s':{1,2},'f':frozenset([3]),'big':2**80,'o':collections.OrderedDict(k=1),'l':list(range(3000)),'u':'\\u00e9'*300}
print(json.dumps({'benign':[pickle.dumps(data,protocol=p).hex() for p in range(6)],'evil':[pickle.dumps({'x':P()},protocol=p).hex() for p in range(6)]}))`,
        ],
        { encoding: 'utf8', maxBuffer: 1 << 26 },
      ),
    );
  const fixtures = hasPython ? generated() : { benign: [], evil: [] };
  it('walks benign data in every protocol without findings', () => {
    fixtures.benign.forEach((hex, proto) => {
      expect(scan(Buffer.from(hex, 'hex')).findings, `protocol ${proto}`).toEqual([]);
    });
  });
  it('flags a __reduce__ payload in every protocol', () => {
    fixtures.evil.forEach((hex, proto) => {
      const r = scan(Buffer.from(hex, 'hex'));
      expect(
        r.findings.some((f) => f.severity === 'critical' && /system/.test(f.message)),
        `protocol ${proto}`,
      ).toBe(true);
    });
  });
});

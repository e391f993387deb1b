import type { Severity } from '../../contracts/finding.js';

/**
 * Which globals a pickle may import, modelled on PyTorch's weights-only
 * unpickler (`torch/_weights_only_unpickler.py`, `_get_allowed_globals`):
 * tensor rebuild functions, storage types, dtypes/layouts/memory formats,
 * `collections.OrderedDict`, a few harmless builtins, plus NumPy's array
 * reconstruction for NumPy arrays pickled inside checkpoints. Everything else
 * fails closed; severity depends on what the import can do.
 */

const STORAGES = [
  'Float',
  'Double',
  'Half',
  'BFloat16',
  'Long',
  'Int',
  'Short',
  'Char',
  'Byte',
  'Bool',
  'ComplexFloat',
  'ComplexDouble',
  'QUInt8',
  'QInt8',
  'QInt32',
  'QUInt4x2',
  'QUInt2x4',
].map((s) => `torch.${s}Storage`);

const TORCH_DTYPES = [
  'float32',
  'float',
  'float64',
  'double',
  'float16',
  'half',
  'bfloat16',
  'complex64',
  'complex128',
  'cfloat',
  'cdouble',
  'uint8',
  'int8',
  'int16',
  'short',
  'int32',
  'int',
  'int64',
  'long',
  'bool',
  'uint16',
  'uint32',
  'uint64',
  'float8_e4m3fn',
  'float8_e5m2',
  'float8_e4m3fnuz',
  'float8_e5m2fnuz',
  'quint8',
  'qint8',
  'qint32',
  'quint4x2',
  'quint2x4',
  'strided',
  'sparse_coo',
  'sparse_csr',
  'sparse_csc',
  'sparse_bsr',
  'sparse_bsc',
  '_mkldnn',
  'contiguous_format',
  'channels_last',
  'channels_last_3d',
  'preserve_format',
  'per_tensor_affine',
  'per_channel_affine',
  'per_tensor_symmetric',
  'per_channel_symmetric',
  'per_channel_affine_float_qparams',
].map((s) => `torch.${s}`);

/** Fully qualified `module.name` globals allowed without a finding. */
export const ALLOWED_GLOBALS: ReadonlySet<string> = new Set([
  'collections.OrderedDict',
  'collections.Counter',
  'torch._utils._rebuild_tensor',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_tensor_v3',
  'torch._utils._rebuild_parameter',
  'torch._utils._rebuild_parameter_with_state',
  'torch._utils._rebuild_sparse_tensor',
  'torch._utils._rebuild_nested_tensor',
  'torch._utils._rebuild_meta_tensor_no_storage',
  'torch._utils._rebuild_qtensor',
  'torch._utils._rebuild_wrapper_subclass',
  'torch._tensor._rebuild_from_type_v2',
  'torch.nn.parameter.Parameter',
  'torch.nn.parameter.Buffer',
  'torch.Tensor',
  'torch.Size',
  'torch.device',
  'torch.serialization._get_layout',
  'torch.storage.UntypedStorage',
  'torch.storage._load_from_bytes',
  ...STORAGES,
  ...TORCH_DTYPES,
  'builtins.set',
  'builtins.frozenset',
  'builtins.bytearray',
  'builtins.complex',
  'builtins.slice',
  'builtins.range',
  // Protocol 0-2 pickles name builtins by their Python 2 module.
  '__builtin__.set',
  '__builtin__.frozenset',
  '__builtin__.bytearray',
  '__builtin__.complex',
  '__builtin__.slice',
  '_codecs.encode',
  // NumPy arrays inside pickles (npy-in-pickle, `np.save` object arrays of arrays).
  'numpy.core.multiarray._reconstruct',
  'numpy._core.multiarray._reconstruct',
  'numpy.core.multiarray.scalar',
  'numpy._core.multiarray.scalar',
  'numpy.ndarray',
  'numpy.dtype',
]);

/** NumPy dtype classes (`numpy.dtypes.Float32DType` ...) are data descriptors, not code. */
const NUMPY_DTYPE_CLASS = /^numpy\.dtypes\.[A-Za-z0-9]+DType$/;

/** Top-level modules whose import alone means code execution, file/network access or gadget chains. */
const CRITICAL_MODULES = new Set([
  'os',
  'posix',
  'nt',
  'posixpath',
  'ntpath',
  'subprocess',
  'builtins',
  '__builtin__',
  'runpy',
  'webbrowser',
  'socket',
  'sys',
  'shutil',
  'pty',
  'importlib',
  'ctypes',
  'code',
  'codeop',
  'commands',
  'platform',
  'pickle',
  '_pickle',
  'cPickle',
  'marshal',
  'types',
  'operator',
  'functools',
  'asyncio',
  'multiprocessing',
  'threading',
  'signal',
  'http',
  'urllib',
  'urllib2',
  'urllib3',
  'requests',
  'httplib',
  'ftplib',
  'smtplib',
  'telnetlib',
  'ssl',
  'pip',
  'setuptools',
  'distutils',
  'zipimport',
  'pdb',
  'bdb',
  'timeit',
  'profile',
  'cProfile',
  'trace',
  'tempfile',
  'glob',
  'pathlib',
  'io',
  '_io',
  'dill',
  'cloudpickle',
  'joblib',
  'pydoc',
  'venv',
  'ensurepip',
  'site',
  'linecache',
  'inspect',
  'gc',
  'weakref',
  'copyreg',
  'copy_reg',
  '__main__',
]);

/** Dangerous members of otherwise trusted packages. */
const CRITICAL_MEMBERS = [
  /^torch\.(hub|load|jit|_C|ops|classes|package|_dynamo|compile|utils\.cpp_extension)/,
  /^numpy\.(load|loadtxt|fromfile|testing|distutils|f2py|ctypeslib)/,
  /^numpy\.lib\.npyio/,
];

/** Verdict of {@link classifyGlobal}. */
export interface GlobalVerdict {
  allowed: boolean;
  severity: Severity;
  reason: string;
}

/** Classifies an imported global `module.name`. `name` may be dotted (protocol 4 nested attribute lookup). */
export function classifyGlobal(module: string, name: string): GlobalVerdict {
  const full = `${module}.${name}`;
  if (ALLOWED_GLOBALS.has(full) || NUMPY_DTYPE_CLASS.test(full))
    return { allowed: true, severity: 'info', reason: 'on the weights-only allowlist' };
  const top = module.split('.')[0] ?? module;
  if (CRITICAL_MODULES.has(top))
    return {
      allowed: false,
      severity: 'critical',
      reason: `imports from ${top}, which can run code or reach files/network`,
    };
  if (CRITICAL_MEMBERS.some((re) => re.test(full)))
    return { allowed: false, severity: 'critical', reason: 'member that loads code or further pickles' };
  if (name.includes('.'))
    return {
      allowed: false,
      severity: 'critical',
      reason: 'dotted name resolves attributes off the allowlist',
    };
  return {
    allowed: false,
    severity: 'high',
    reason: 'not on the weights-only allowlist (needs the unsafe loader, can run arbitrary __reduce__ code)',
  };
}

import { createHash } from 'node:crypto';
import { FileRange } from './file-range.js';

/**
 * A model file manifest laid out as an OpenSSF Model Signing
 * (sigstore/model-transparency) in-toto statement with the `files`
 * serialization, ready to be signed later.
 *
 * Digest scheme (docs/artifacts.md): each file's `sha256` over its bytes;
 * resources sorted by their POSIX relative path (code-point order); the root
 * digest is `sha256(d_1 || d_2 || ... || d_n)` over the raw 32-byte file
 * digests in that order — the same as model_signing's `DigestOfDigests` payload.
 */
export interface ModelManifest {
  _type: 'https://in-toto.io/Statement/v1';
  subject: { name: string; digest: { sha256: string } }[];
  predicateType: 'https://model_signing/signature/v1.0';
  predicate: {
    serialization: { method: 'files'; hash_type: 'sha256'; allow_symlinks: false; ignore_paths: string[] };
    resources: { name: string; algorithm: 'sha256'; digest: string }[];
  };
}

const CHUNK = 8 << 20;

/** SHA-256 of a file, read in 8 MiB positional chunks. */
export function sha256File(path: string): string {
  const file = FileRange.open(path);
  try {
    const hash = createHash('sha256');
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; pos < file.size; pos += CHUNK) hash.update(file.read(pos, CHUNK, buf));
    return hash.digest('hex');
  } finally {
    file.close();
  }
}

/** Builds the manifest from `(relative path, hex sha256)` pairs. */
export function buildModelManifest(
  modelName: string,
  files: readonly { path: string; sha256: string }[],
  ignorePaths: string[] = [],
): ModelManifest {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const root = createHash('sha256');
  for (const f of sorted) root.update(Buffer.from(f.sha256, 'hex'));
  return {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: modelName, digest: { sha256: root.digest('hex') } }],
    predicateType: 'https://model_signing/signature/v1.0',
    predicate: {
      serialization: {
        method: 'files',
        hash_type: 'sha256',
        allow_symlinks: false,
        ignore_paths: ignorePaths,
      },
      resources: sorted.map((f) => ({ name: f.path, algorithm: 'sha256', digest: f.sha256 })),
    },
  };
}

import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ArtifactError } from '../artifact-error.js';
import { withFile } from '../file-range.js';
import { requireLoadableSafetensors, type SafetensorsTensor } from '../safetensors/safetensors-header.js';
import { parseStrictJson } from '../safetensors/strict-json.js';

/** A tensor and the file it lives in. */
export interface LocatedTensor extends SafetensorsTensor {
  path: string;
}

/** The safetensors files of one checkpoint, indexed by tensor name. */
export interface Checkpoint {
  /** Directory holding the weights (where tokenizer.json / adapter_config.json are looked up). */
  dir: string;
  files: string[];
  tensors: Map<string, LocatedTensor>;
}

/**
 * Opens a checkpoint given as a `.safetensors` file or a directory (sharded
 * with `model.safetensors.index.json`, or every `*.safetensors` in it). Every
 * header is validated strictly; a file a loader would refuse is an error here.
 */
export function openCheckpoint(path: string, exclude: (name: string) => boolean = () => false): Checkpoint {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    throw new ArtifactError('artifact.input_not_found', `${path}: no such file or directory`, { cause: err });
  }
  let files: string[];
  const dir = st.isDirectory() ? path : dirname(path);
  if (st.isDirectory()) {
    const index = join(path, 'model.safetensors.index.json');
    if (existsSync(index)) {
      const map = (
        parseStrictJson(readFileSync(index, 'utf8')).value as { weight_map?: Record<string, unknown> } | null
      )?.weight_map;
      if (!map || typeof map !== 'object')
        throw new ArtifactError('artifact.malformed_input', `${index}: no weight_map object`, {
          details: { file: index, field: 'weight_map' },
        });
      files = [...new Set(Object.values(map).filter((v): v is string => typeof v === 'string'))]
        .sort()
        .map((f) => join(path, f));
    } else {
      files = readdirSync(path)
        .filter((f) => f.endsWith('.safetensors') && !exclude(f))
        .sort()
        .map((f) => join(path, f));
    }
  } else files = [path];
  if (files.length === 0)
    throw new ArtifactError(
      'artifact.unsupported_format',
      `${path}: no .safetensors files (weight diffs read safetensors; convert pickled checkpoints first)`,
    );
  const tensors = new Map<string, LocatedTensor>();
  for (const f of files) {
    if (!existsSync(f))
      throw new ArtifactError('artifact.input_not_found', `${f}: shard named by the index is missing`);
    for (const t of requireLoadableSafetensors(f).tensors) {
      if (tensors.has(t.name))
        throw new ArtifactError(
          'artifact.malformed_input',
          `${f}: tensor ${t.name} is also in ${tensors.get(t.name)?.path}`,
        );
      tensors.set(t.name, { ...t, path: f });
    }
  }
  return { dir, files, tensors };
}

/**
 * A cheap structural fingerprint of a checkpoint, used to key baselines: the
 * tensor table (names, dtypes, shapes) and the first 64 KiB of every tensor
 * data section. Not a content digest (use the artifact manifest for that); it
 * identifies "the same base model" without hashing gigabytes.
 */
export function checkpointFingerprint(ckpt: Checkpoint): string {
  const h = createHash('sha256');
  const names = [...ckpt.tensors.keys()].sort();
  for (const n of names) {
    const t = ckpt.tensors.get(n);
    if (t) h.update(`${n}\0${t.dtype}\0${t.shape.join(',')}\n`);
  }
  for (const f of ckpt.files) {
    withFile(f, (file) => {
      const first = [...ckpt.tensors.values()]
        .filter((t) => t.path === f)
        .sort((a, b) => a.begin - b.begin)[0];
      if (first) h.update(file.read(first.begin, 64 << 10));
    });
  }
  return h.digest('hex');
}

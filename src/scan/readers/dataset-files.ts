import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { ScanError } from '../scan-error.js';
import { formatFromName } from './byte-source.js';

/** One file of a dataset. */
export interface DatasetFile {
  /** Absolute or cwd-relative path to open. */
  path: string;
  /** Path relative to the dataset root with forward slashes (the file name for a single file). */
  relPath: string;
  bytes: number;
}

/** The files of a dataset and the files a directory held that are not data. */
export interface DatasetFiles {
  root: string;
  isDirectory: boolean;
  files: DatasetFile[];
  /** Directory entries skipped because their extension is not a data format (e.g. README.md). */
  skipped: string[];
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // hidden files and .git are never data
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile()) out.push(p);
  }
}

/**
 * Resolves a dataset path: a file is a dataset of one file; a directory is one
 * dataset of every data file under it, sorted by relative path (byte order of
 * the forward-slash path, so the order and the digest are the same everywhere).
 */
export async function listDatasetFiles(path: string): Promise<DatasetFiles> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(path);
  } catch (err) {
    throw new ScanError('scan.input_not_found', `dataset not found: ${path}`, { cause: err });
  }
  if (st.isFile()) {
    return {
      root: path,
      isDirectory: false,
      files: [{ path, relPath: basename(path), bytes: st.size }],
      skipped: [],
    };
  }
  if (!st.isDirectory())
    throw new ScanError('scan.unsupported_format', `${path} is neither a file nor a directory`);
  const all: string[] = [];
  await walk(path, all);
  const files: DatasetFile[] = [];
  const skipped: string[] = [];
  for (const p of all) {
    const relPath = relative(path, p).split(sep).join('/');
    if (formatFromName(relPath) === undefined) {
      skipped.push(relPath);
      continue;
    }
    files.push({ path: p, relPath, bytes: (await stat(p)).size });
  }
  const byteOrder = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
  files.sort((a, b) => byteOrder(a.relPath, b.relPath));
  skipped.sort(byteOrder);
  if (files.length === 0) {
    throw new ScanError(
      'scan.input_not_found',
      `directory ${path} holds no data files (.jsonl, .json, .csv, .tsv, .parquet, .txt, optionally .gz)`,
    );
  }
  return { root: path, isDirectory: true, files, skipped };
}

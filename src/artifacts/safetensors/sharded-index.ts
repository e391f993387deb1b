import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Finding } from '../../contracts/finding.js';
import { artifactFinding } from '../artifact-finding.js';
import { readSafetensorsHeader } from './safetensors-header.js';
import { JsonSyntaxError, parseStrictJson } from './strict-json.js';

/** Index files are small; anything this large is not an index. */
const MAX_INDEX_BYTES = 64 << 20;

/**
 * Checks a sharded checkpoint (`model.safetensors.index.json`) against its
 * shards, in both directions: every shard named exists, every tensor in the
 * weight map is in the shard it names, and every tensor of every shard is in
 * the weight map and points at that shard.
 *
 * @param indexPath absolute path of the index file
 * @param display   path of the index as shown in findings (relative to the scan root)
 */
export function checkShardedIndex(indexPath: string, display: string): Finding[] {
  const findings: Finding[] = [];
  const flag = (rule: string, severity: 'low' | 'medium' | 'high', message: string, field?: string) =>
    findings.push(
      artifactFinding({
        detector: 'safetensors',
        rule,
        severity,
        file: display,
        message,
        field: field ?? null,
      }),
    );
  const dir = dirname(indexPath);
  const displayDir = posix.dirname(display);
  const bytes = readFileSync(indexPath);
  if (bytes.length > MAX_INDEX_BYTES) {
    flag('index_invalid', 'high', `index file is ${bytes.length} bytes, above the ${MAX_INDEX_BYTES} limit`);
    return findings;
  }
  let root: unknown;
  try {
    const parsed = parseStrictJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
    root = parsed.value;
    for (const issue of parsed.issues)
      flag(`index_${issue.kind}`, 'high', `index ${issue.message}`, issue.path);
  } catch (err) {
    flag(
      'index_invalid',
      'high',
      `index is not valid UTF-8 JSON${err instanceof JsonSyntaxError ? `: ${err.message}` : ''}`,
    );
    return findings;
  }
  const weightMap = (root as { weight_map?: unknown } | null)?.weight_map;
  if (weightMap === null || typeof weightMap !== 'object' || Array.isArray(weightMap)) {
    flag('index_invalid', 'high', 'index has no "weight_map" object', '$.weight_map');
    return findings;
  }
  const byShard = new Map<string, Set<string>>();
  for (const [tensor, shard] of Object.entries(weightMap as Record<string, unknown>)) {
    const field = `$.weight_map[${JSON.stringify(tensor)}]`;
    if (typeof shard !== 'string') {
      flag(
        'index_invalid',
        'high',
        `weight_map entry for ${JSON.stringify(tensor)} is not a file name`,
        field,
      );
      continue;
    }
    if (shard.includes('/') || shard.includes('\\') || shard === '..' || shard === '.' || shard === '') {
      flag(
        'index_shard_path',
        'high',
        `shard name ${JSON.stringify(shard)} is not a plain file name in the checkpoint directory`,
        field,
      );
      continue;
    }
    let set = byShard.get(shard);
    if (!set) {
      set = new Set();
      byShard.set(shard, set);
    }
    set.add(tensor);
  }
  for (const [shard, expected] of [...byShard].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const shardPath = join(dir, shard);
    const shardDisplay = displayDir === '.' ? shard : `${displayDir}/${shard}`;
    if (!existsSync(shardPath)) {
      flag(
        'shard_missing',
        'high',
        `shard ${JSON.stringify(shard)} named by ${expected.size} tensor(s) is missing`,
      );
      continue;
    }
    const header = readSafetensorsHeader(shardPath, shardDisplay);
    const present = new Set(header.tensors.map((t) => t.name));
    for (const t of expected) {
      if (!present.has(t))
        flag(
          'shard_tensor_missing',
          'high',
          `tensor ${JSON.stringify(t)} is mapped to ${shard} but not in it`,
          `$.weight_map[${JSON.stringify(t)}]`,
        );
    }
    for (const t of present) {
      if (!expected.has(t)) {
        const other = (weightMap as Record<string, unknown>)[t];
        flag(
          'shard_tensor_unmapped',
          'high',
          typeof other === 'string'
            ? `tensor ${JSON.stringify(t)} in ${shard} is mapped to ${other} instead (shadowed copy)`
            : `tensor ${JSON.stringify(t)} in ${shard} is not in the weight map (loaders disagree on whether it loads)`,
        );
      }
    }
  }
  // Shards in the directory that the index does not name are ignored by loaders but shipped.
  const prefix = display.replace(/^.*\//, '').replace(/\.index\.json$/, '');
  for (const name of readdirSync(dir)) {
    if (
      name.endsWith('.safetensors') &&
      name.startsWith(`${prefix.replace(/\.safetensors$/, '')}-`) &&
      !byShard.has(name)
    )
      flag('shard_unreferenced', 'medium', `shard file ${name} is not referenced by the index`);
  }
  return findings;
}

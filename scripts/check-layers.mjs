#!/usr/bin/env node
// Fails when a source file imports across the layering:
//   contracts <- domain modules <- control-plane <- surfaces (cli, server, web) <- bin (the executable)
// Each top-level folder of src/ lists the folders it may import from.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const DOMAIN_BASE = ['contracts'];
export const ALLOWED = {
  contracts: [],
  store: [...DOMAIN_BASE],
  ledger: [...DOMAIN_BASE, 'store'],
  auth: [...DOMAIN_BASE, 'store', 'ledger'],
  scan: [...DOMAIN_BASE],
  artifacts: [...DOMAIN_BASE, 'scan'],
  evals: [...DOMAIN_BASE, 'scan', 'ledger'],
  policy: [...DOMAIN_BASE, 'store', 'ledger', 'auth'],
  runs: [...DOMAIN_BASE, 'store', 'ledger', 'auth', 'policy', 'scan'],
  registry: [...DOMAIN_BASE, 'store', 'ledger', 'auth', 'policy', 'scan', 'artifacts', 'evals'],
  'control-plane': [
    ...DOMAIN_BASE,
    'store',
    'ledger',
    'auth',
    'policy',
    'runs',
    'registry',
    'scan',
    'artifacts',
    'evals',
  ],
  cli: [
    ...DOMAIN_BASE,
    'store',
    'ledger',
    'auth',
    'policy',
    'runs',
    'registry',
    'scan',
    'artifacts',
    'evals',
    'control-plane',
  ],
  server: [
    ...DOMAIN_BASE,
    'store',
    'ledger',
    'auth',
    'policy',
    'runs',
    'registry',
    'scan',
    'artifacts',
    'evals',
    'control-plane',
  ],
  // The executable composes the surfaces (the CLI's `serve` runs the server); nothing imports it.
  bin: [...DOMAIN_BASE, 'control-plane', 'cli', 'server'],
  // The library entry (src/index.ts) exposes domain modules, never surfaces.
  '(root)': [
    ...DOMAIN_BASE,
    'store',
    'ledger',
    'auth',
    'policy',
    'runs',
    'registry',
    'scan',
    'artifacts',
    'evals',
    'control-plane',
  ],
};

const IMPORT_RE =
  /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|import\s+['"]([^'"]+)['"]/g;

function walk(dir, out = []) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else if (/\.(ts|tsx|mts)$/.test(name)) out.push(path);
  }
  return out;
}

function layerOf(srcRoot, file) {
  const rel = relative(srcRoot, file).split(sep);
  return rel.length === 1 ? '(root)' : rel[0];
}

/** Returns the list of violations in the tree under `srcRoot`. */
export function checkLayers(srcRoot) {
  const violations = [];
  for (const file of walk(srcRoot)) {
    const from = layerOf(srcRoot, file);
    const allowed = ALLOWED[from];
    const text = readFileSync(file, 'utf8');
    const lines = text.split('\n');
    for (const [lineNo, line] of lines.entries()) {
      for (const m of line.matchAll(IMPORT_RE)) {
        const spec = m[1] ?? m[2] ?? m[3];
        if (!spec?.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        const rel = relative(srcRoot, target);
        if (rel.startsWith('..')) {
          violations.push(`${relative(process.cwd(), file)}:${lineNo + 1}: imports outside src/: ${spec}`);
          continue;
        }
        const to = rel.includes(sep) ? rel.split(sep)[0] : '(root)';
        if (to === from) continue;
        if (allowed === undefined) {
          violations.push(
            `${relative(process.cwd(), file)}:${lineNo + 1}: folder src/${from} has no layer rule; add it to scripts/check-layers.mjs`,
          );
        } else if (!allowed.includes(to)) {
          violations.push(
            `${relative(process.cwd(), file)}:${lineNo + 1}: ${from} may not import ${to} (${spec})`,
          );
        }
      }
    }
  }
  return violations;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const root = resolve(process.argv[2] ?? 'src');
  const violations = checkLayers(root);
  if (violations.length > 0) {
    console.error(`layer check failed: ${violations.length} forbidden import(s)`);
    for (const v of violations) console.error(`  ${v}`);
    process.exit(1);
  }
  console.log('layer check: ok');
}

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { checkLayers } from './check-layers.mjs';

function tree(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('layer check', () => {
  it('accepts imports that go down the layers', () => {
    const root = tree({
      'contracts/a.ts': 'export const a = 1;',
      'ledger/b.ts': "import { a } from '../contracts/a.js';",
      'cli/c.ts': "import { b } from '../ledger/b.js';",
    });
    expect(checkLayers(root)).toEqual([]);
  });

  it('rejects a domain module importing a surface, a surface importing another, and contracts importing domain', () => {
    const root = tree({
      'ledger/b.ts': "import { x } from '../cli/c.js';",
      'server/s.ts': "export { y } from '../cli/c.js';",
      'contracts/a.ts': "const m = await import('../store/d.js');",
    });
    const v: string[] = checkLayers(root);
    expect(v).toHaveLength(3);
    expect(v.join('\n')).toMatch(/ledger may not import cli/);
    expect(v.join('\n')).toMatch(/server may not import cli/);
    expect(v.join('\n')).toMatch(/contracts may not import store/);
  });
});

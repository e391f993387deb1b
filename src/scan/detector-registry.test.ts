import { describe, expect, it } from 'vitest';
import { allDetectors, resolveDetectors } from './detector-registry.js';
import { ScanError } from './scan-error.js';

describe('detector registry', () => {
  it('lists unique kebab-case ids', () => {
    const ids = allDetectors().map((d) => d.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(ids).toContain('exact-duplicate');
  });

  it('resolves all by default and named ones in order', () => {
    expect(resolveDetectors().length).toBe(allDetectors().length);
    expect(resolveDetectors(['exact-duplicate']).map((d) => d.id)).toEqual(['exact-duplicate']);
  });

  it('names unknown ids and the available ones', () => {
    try {
      resolveDetectors(['exact-duplicate', 'nope']);
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ScanError);
      expect((err as ScanError).code).toBe('scan.unknown_detector');
      expect((err as Error).message).toMatch(/"nope".*available: .*exact-duplicate/);
    }
  });
});

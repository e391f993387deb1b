import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { newEventId } from './event-id.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newEventId', () => {
  it('is an RFC 9562 version 7 UUID that the envelope contract accepts', () => {
    for (let i = 0; i < 2000; i++) {
      const id = newEventId();
      expect(id).toMatch(V7);
      expect(z.uuid().safeParse(id).success).toBe(true);
    }
  });

  it('carries the current Unix time in milliseconds', () => {
    const before = Date.now();
    const id = newEventId();
    const ms = Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(Date.now() + 1);
  });

  it('increases strictly and never repeats, also past 4096 ids in one millisecond', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.now() + 10_000);
    try {
      const ids = Array.from({ length: 10_000 }, () => newEventId());
      for (let i = 1; i < ids.length; i++) expect((ids[i] as string) > (ids[i - 1] as string)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
    } finally {
      now.mockRestore();
    }
  });
});

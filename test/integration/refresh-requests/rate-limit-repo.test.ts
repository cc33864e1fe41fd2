import { describe, expect, it } from 'vitest';
import { RateLimitRepository } from '../../../lib/store/rate-limit-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

const local = useLocalEngines();

describe('RateLimitRepository', () => {
  it('hands out ranges of places that never overlap, however many containers take at once', async () => {
    const repo = new RateLimitRepository(local.table);
    const counts = Array.from({ length: 40 }, (_, i) => 1 + (i % 5));
    const firsts = await Promise.all(counts.map((count) => repo.take('refresh', 1_100, count, 100)));
    const places = firsts.flatMap((first, i) => Array.from({ length: counts[i]! }, (_, j) => first + j));
    expect(places.sort((a, b) => a - b)).toEqual(Array.from({ length: places.length }, (_, i) => i));
    expect(await repo.take('refresh', 2_200, 3, 100)).toBe(0);
    expect(await repo.take('other', 1_100, 1, 100)).toBe(0);
  });
});

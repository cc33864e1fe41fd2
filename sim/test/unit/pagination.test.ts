import { describe, expect, it } from 'vitest';
import { paginate, parsePageRequest } from '../../pagination.ts';

const request = (query: string) => parsePageRequest(new URLSearchParams(query));

describe('parsePageRequest', () => {
  it('defaults to page 1 of 25', () => {
    expect(request('')).toEqual({ page: 1, perPage: 25 });
  });

  it.each([
    ['records_per_page=10', 10],
    ['records_per_page=1000', 1000],
    ['records_per_page=9', 25],
    ['records_per_page=1001', 25],
    ['records_per_page=0', 25],
    ['records_per_page=-50', 25],
    ['records_per_page=12.5', 25],
    ['records_per_page=abc', 25],
    ['records_per_page=', 25],
  ])('%s → %i per page', (query, perPage) => {
    expect(request(query).perPage).toBe(perPage);
  });

  it.each([
    ['page=3', 3],
    ['page=0', 1],
    ['page=-2', 1],
    ['page=two', 1],
    ['page=99999999999999999999', 1],
  ])('%s → page %i', (query, page) => {
    expect(request(query).page).toBe(page);
  });
});

describe('paginate', () => {
  const items = Array.from({ length: 53 }, (_, index) => index);

  it('slices a page and reports the totals', () => {
    expect(paginate(items, { page: 2, perPage: 25 })).toEqual({
      items: items.slice(25, 50),
      pagination: { current_page: 2, per_page: 25, total_entries: 53, total_pages: 3 },
    });
  });

  it('returns the remainder on the last page and nothing past it', () => {
    expect(paginate(items, { page: 3, perPage: 25 }).items).toEqual([50, 51, 52]);
    expect(paginate(items, { page: 4, perPage: 25 })).toEqual({
      items: [],
      pagination: { current_page: 4, per_page: 25, total_entries: 53, total_pages: 3 },
    });
  });

  it('counts exact multiples and empty lists right', () => {
    expect(paginate(items.slice(0, 50), { page: 1, perPage: 25 }).pagination.total_pages).toBe(2);
    expect(paginate([], { page: 1, perPage: 25 }).pagination).toEqual({
      current_page: 1,
      per_page: 25,
      total_entries: 0,
      total_pages: 0,
    });
  });
});

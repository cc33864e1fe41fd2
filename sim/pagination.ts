/** Nexus list paging: `page` from 1; `records_per_page` 10–1000, and 25 when missing or out of range. */
export const RECORDS_PER_PAGE = { min: 10, max: 1000, fallback: 25 } as const;

export interface PageRequest {
  page: number;
  perPage: number;
}

export interface Pagination {
  current_page: number;
  per_page: number;
  total_entries: number;
  total_pages: number;
}

const positiveInteger = (raw: string | null): number | null => {
  if (raw === null || !/^\d+$/.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value > 0 ? value : null;
};

/** Reads `page` and `records_per_page` leniently, as MX does: a bad value falls back to the default. */
export function parsePageRequest(query: URLSearchParams): PageRequest {
  const perPage = positiveInteger(query.get('records_per_page'));
  return {
    page: positiveInteger(query.get('page')) ?? 1,
    perPage:
      perPage !== null && perPage >= RECORDS_PER_PAGE.min && perPage <= RECORDS_PER_PAGE.max
        ? perPage
        : RECORDS_PER_PAGE.fallback,
  };
}

export function paginate<T>(items: readonly T[], { page, perPage }: PageRequest): { items: T[]; pagination: Pagination } {
  const start = (page - 1) * perPage;
  return {
    items: items.slice(start, start + perPage),
    pagination: {
      current_page: page,
      per_page: perPage,
      total_entries: items.length,
      total_pages: Math.ceil(items.length / perPage),
    },
  };
}

import type { MxBody, MxRecord } from './types.ts';

/**
 * A list the API answers in pages: iterate it for the items (`for await (const job of list)`), or `pages()` for
 * whole pages. Pages are fetched as the iteration reaches them, never ahead.
 */
export class PagedList<Item> implements AsyncIterable<Item> {
  constructor(private readonly pageSource: () => AsyncGenerator<Item[]>) {}

  pages(): AsyncGenerator<Item[]> {
    return this.pageSource();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    for await (const page of this.pageSource()) yield* page;
  }

  /** Every item, in order (mind the size of what you ask for). */
  async toArray(): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

/** The relay's own lists (jobs, deliveries): `next_cursor` until a page has none. */
export async function* cursorPages<Item>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: Item[]; next_cursor?: string | undefined }>,
): AsyncGenerator<Item[]> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield page.items;
    cursor = page.next_cursor;
  } while (cursor !== undefined);
}

interface MxPagination {
  current_page?: number;
  total_pages?: number;
}

/**
 * MX's lists, passed through by the relay: numbered pages, with `pagination.total_pages`. The items are the body's
 * one array (`members`, `accounts`, `transactions`, `beats`…).
 */
export async function* mxPages(fetchPage: (page: number) => Promise<MxBody>): AsyncGenerator<MxRecord[]> {
  for (let page = 1; ; page++) {
    const body = await fetchPage(page);
    yield recordsOf(body);
    const pagination = body.pagination as MxPagination | undefined;
    const current = pagination?.current_page ?? page;
    if (pagination?.total_pages === undefined || current >= pagination.total_pages) return;
  }
}

export function recordsOf(body: MxBody): MxRecord[] {
  const lists = Object.entries(body).filter(([key, value]) => key !== 'pagination' && Array.isArray(value));
  return lists.length === 1 ? (lists[0]![1] as MxRecord[]) : [];
}

import type { MxBody, MxRecord } from './types.ts';

interface MxPagination {
  current_page?: number;
  per_page?: number;
  total_entries?: number;
  total_pages?: number;
}

/** One page of a list: its items, and where the list goes on (`next_cursor` of the relay's lists, MX's `pagination`). */
export interface Page<Item> {
  items: Item[];
  next_cursor?: string;
  pagination?: MxPagination;
}

/**
 * A list the API answers in pages: iterate it for the items (`for await (const job of list)`), or `pages()` for
 * whole pages. Pages are fetched as the iteration reaches them, never ahead.
 */
export class PagedList<Item> implements AsyncIterable<Item> {
  constructor(private readonly pageSource: () => AsyncGenerator<Page<Item>>) {}

  pages(): AsyncGenerator<Page<Item>> {
    return this.pageSource();
  }

  /** The first page only (a screenful, with where to go on). */
  async firstPage(): Promise<Page<Item>> {
    const pages = this.pageSource();
    const first = await pages.next();
    await pages.return(undefined);
    return first.done ? { items: [] } : first.value;
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Item> {
    for await (const page of this.pageSource()) yield* page.items;
  }

  /** Every item, in order (mind the size of what you ask for). */
  async toArray(): Promise<Item[]> {
    const items: Item[] = [];
    for await (const item of this) items.push(item);
    return items;
  }
}

/** The relay's own lists (jobs, deliveries): from `cursor` (or the start), `next_cursor` until a page has none. */
export async function* cursorPages<Item>(
  fetchPage: (cursor: string | undefined) => Promise<Page<Item>>,
  cursor?: string,
): AsyncGenerator<Page<Item>> {
  do {
    const page = await fetchPage(cursor);
    yield page;
    cursor = page.next_cursor;
  } while (cursor !== undefined);
}

/**
 * MX's lists, passed through by the relay: numbered pages, with `pagination.total_pages`. The items are the body's
 * one array (`members`, `accounts`, `transactions`, `beats`…).
 */
export async function* mxPages(fetchPage: (page: number) => Promise<MxBody>, first = 1): AsyncGenerator<Page<MxRecord>> {
  for (let page = first; ; page++) {
    const body = await fetchPage(page);
    const pagination = body.pagination as MxPagination | undefined;
    yield { items: recordsOf(body), ...(pagination === undefined ? {} : { pagination }) };
    const current = pagination?.current_page ?? page;
    if (pagination?.total_pages === undefined || current >= pagination.total_pages) return;
  }
}

export function recordsOf(body: MxBody): MxRecord[] {
  const lists = Object.entries(body).filter(([key, value]) => key !== 'pagination' && Array.isArray(value));
  return lists.length === 1 ? (lists[0]![1] as MxRecord[]) : [];
}

import { RelayGoneError } from './errors.ts';
import type { SyncPage } from './types.ts';

/** A page of transactions sync; `reset` is true on the first page after the cursor expired and sync began again. */
export type SyncLoopPage = SyncPage & { reset: boolean };

/**
 * The sync loop: pages from `cursor` until `has_more` is false. An expired cursor (410 `sync_cursor_expired`)
 * starts over without one, once; the first page after that says `reset: true` (every current transaction comes
 * again as added: replace what you hold rather than merge). A cursor that is not valid (400) is thrown.
 */
export async function* syncTransactions(
  fetchPage: (cursor: string | undefined) => Promise<SyncPage>,
  cursor: string | undefined,
): AsyncGenerator<SyncLoopPage> {
  let reset = false;
  for (;;) {
    let page: SyncPage;
    try {
      page = await fetchPage(cursor);
    } catch (error) {
      const expired = error instanceof RelayGoneError && error.code === 'sync_cursor_expired';
      if (!expired || cursor === undefined) throw error;
      cursor = undefined;
      reset = true;
      continue;
    }
    yield { ...page, reset };
    reset = false;
    cursor = page.next_cursor;
    if (!page.has_more) return;
  }
}

/**
 * Several sorted sequences as one, each read only as far as its items are taken. Stopping early closes every sequence.
 *
 * @example
 * // A sharded log's entries in time order, reading each shard's query a page at a time.
 * for await (const entry of mergeSorted(shards.map(queryShard), (a, b) => (a.gsi1sk < b.gsi1sk ? -1 : 1))) …
 */
export async function* mergeSorted<T>(sources: readonly AsyncIterable<T>[], compare: (a: T, b: T) => number): AsyncGenerator<T> {
  const iterators = sources.map((source) => source[Symbol.asyncIterator]());
  try {
    const heads = await Promise.all(iterators.map((iterator) => iterator.next()));
    for (;;) {
      let first: number | undefined;
      for (const [i, head] of heads.entries()) {
        if (!head.done && (first === undefined || compare(head.value, heads[first]!.value as T) < 0)) first = i;
      }
      if (first === undefined) return;
      yield heads[first]!.value as T;
      heads[first] = await iterators[first]!.next();
    }
  } finally {
    await Promise.all(iterators.map((iterator) => iterator.return?.()));
  }
}

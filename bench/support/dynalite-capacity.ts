import { createRequire } from 'node:module';

/**
 * DynamoDB's write-unit rules for global secondary indexes, taught to dynalite (which counts the base item only).
 * Installed in the process that runs dynalite, before any write. A write asking for `ReturnConsumedCapacity:
 * INDEXES` then gets `CapacityUnits` = table + indexes and `GlobalSecondaryIndexes` per index, as DynamoDB answers:
 * per index, an item entering or leaving it costs one write of its projection, a changed index key two (delete the
 * old entry, put the new), a change to a projected attribute one, anything else none — each write
 * ceil(projected size / 1 KB) units (AWS docs, "Provisioned throughput considerations for Global Secondary Indexes").
 */

type AttributeValue = Record<string, unknown>;
type Item = Record<string, AttributeValue>;
interface Capacity {
  CapacityUnits: number;
  TableName?: string;
  Table?: { CapacityUnits: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits: number }>;
}
interface IndexDescription {
  IndexName: string;
  KeySchema: { AttributeName: string }[];
  Projection: { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] };
}
interface TableDescription {
  KeySchema: { AttributeName: string }[];
  GlobalSecondaryIndexes?: IndexDescription[];
}
interface DynaliteDb {
  itemSize(item: Item): number;
  addConsumedCapacity(
    data: { ReturnConsumedCapacity?: string },
    isRead: boolean,
    before?: Item,
    after?: Item,
  ): Capacity | undefined;
  updateIndexes(
    store: unknown,
    table: TableDescription,
    before: Item | null | undefined,
    after: Item | null | undefined,
    cb: unknown,
  ): void;
}

let installed = false;

/** Write units spent on one partition of the table (`index` 'table') or of a global secondary index. */
export interface PartitionWrite {
  index: string;
  partition: string;
  /** The table item's sort key (its kind): for the table's writes only. */
  sortKey?: string;
  units: number;
}

const partitionListeners = new Set<(write: PartitionWrite) => void>();

/**
 * Calls `listener` with each write's units per partition, the table's and each index's, while installed (writes that
 * asked for `ReturnConsumedCapacity: INDEXES`, as the bench's meter makes them ask). Returns the unsubscribe.
 */
export function onPartitionWrites(listener: (write: PartitionWrite) => void): () => void {
  partitionListeners.add(listener);
  return () => partitionListeners.delete(listener);
}

const partitionOf = (item: Item | null | undefined, name: string) => {
  const value = item?.[name] as { S?: string } | undefined;
  return value?.S;
};

export function installIndexCapacity(): void {
  if (installed) return;
  installed = true;
  const db = createRequire(import.meta.url)('dynalite/db/index.js') as DynaliteDb;
  const addConsumedCapacity = db.addConsumedCapacity.bind(db);
  const updateIndexes = db.updateIndexes.bind(db);
  // dynalite's write actions call addConsumedCapacity and then, in the same synchronous step, updateIndexes with the
  // table: the capacity object of the first call is completed by the second.
  let pending: Capacity | undefined;
  db.addConsumedCapacity = (data, isRead, before, after) => {
    const capacity = addConsumedCapacity(data, isRead, before, after);
    pending = !isRead && data.ReturnConsumedCapacity === 'INDEXES' ? capacity : undefined;
    return capacity;
  };
  db.updateIndexes = (store, table, before, after, cb) => {
    const capacity = pending;
    pending = undefined;
    if (capacity) {
      const tableUnits = capacity.CapacityUnits;
      const perIndex: Record<string, { CapacityUnits: number }> = {};
      let indexUnits = 0;
      const emit = (write: PartitionWrite) => {
        for (const listener of partitionListeners) listener(write);
      };
      const tablePartition = partitionOf(after ?? before, table.KeySchema[0]!.AttributeName);
      const sortKey = table.KeySchema[1] && partitionOf(after ?? before, table.KeySchema[1].AttributeName);
      if (tablePartition !== undefined) {
        emit({ index: 'table', partition: tablePartition, ...(sortKey === undefined ? {} : { sortKey }), units: tableUnits });
      }
      for (const index of table.GlobalSecondaryIndexes ?? []) {
        const writes = indexPartitionWrites(db, table, index, before ?? undefined, after ?? undefined);
        const units = writes.reduce((sum, write) => sum + write.units, 0);
        if (units > 0) perIndex[index.IndexName] = { CapacityUnits: units };
        indexUnits += units;
        for (const write of writes) emit({ index: index.IndexName, ...write });
      }
      capacity.Table = { CapacityUnits: tableUnits };
      capacity.GlobalSecondaryIndexes = perIndex;
      capacity.CapacityUnits = tableUnits + indexUnits;
    }
    updateIndexes(store, table, before, after, cb);
  };
}

/** The write units one table write costs `index`, by DynamoDB's rules (see above). */
export function indexWriteUnits(
  db: Pick<DynaliteDb, 'itemSize'>,
  table: TableDescription,
  index: IndexDescription,
  before: Item | undefined,
  after: Item | undefined,
): number {
  return indexPartitionWrites(db, table, index, before, after).reduce((sum, write) => sum + write.units, 0);
}

/** The same units by the index partition they are spent on: a changed key deletes from one and puts into another. */
function indexPartitionWrites(
  db: Pick<DynaliteDb, 'itemSize'>,
  table: TableDescription,
  index: IndexDescription,
  before: Item | undefined,
  after: Item | undefined,
): { partition: string; units: number }[] {
  const indexKeys = index.KeySchema.map((key) => key.AttributeName);
  const inIndex = (item: Item | undefined): item is Item =>
    item !== undefined && indexKeys.every((key) => item[key] !== undefined);
  const projected = (item: Item): Item => {
    if (index.Projection.ProjectionType === 'ALL') return item;
    const names = [
      ...table.KeySchema.map((key) => key.AttributeName),
      ...indexKeys,
      ...(index.Projection.NonKeyAttributes ?? []),
    ];
    return Object.fromEntries(names.filter((name) => item[name] !== undefined).map((name) => [name, item[name]!]));
  };
  const units = (item: Item) => Math.max(1, Math.ceil(db.itemSize(projected(item)) / 1024));
  const wasIn = inIndex(before);
  const isIn = inIndex(after);
  const partition = (item: Item) => partitionOf(item, indexKeys[0]!)!;
  if (!wasIn && !isIn) return [];
  if (!wasIn) return [{ partition: partition(after!), units: units(after!) }];
  if (!isIn) return [{ partition: partition(before), units: units(before) }];
  const sameKey = indexKeys.every((key) => stableJson(before[key]) === stableJson(after![key]));
  if (!sameKey) {
    return [
      { partition: partition(before), units: units(before) },
      { partition: partition(after!), units: units(after!) },
    ];
  }
  if (stableJson(projected(before)) === stableJson(projected(after!))) return [];
  return [{ partition: partition(after!), units: Math.max(units(before), units(after!)) }];
}

/** JSON with every object's keys sorted: equal attribute values give equal text whatever order they were built in. */
const stableJson = (value: unknown): string =>
  JSON.stringify(value, (_key, inner: unknown) =>
    inner && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );

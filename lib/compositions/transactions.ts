import * as z from '../zod.ts';
import { MemberStatesRepository } from '../aggregation/member-states-repo.ts';
import { NexusRelayError } from '../errors.ts';
import { jsonSecretReader } from '../json-secret.ts';
import type { NexusClient } from '../mx/nexus-client.ts';
import { REMOVED_RETENTION_MS, TransactionsRepository } from '../transactions/transactions-repo.ts';
import { SyncStateRepository } from '../transactions/sync-state-repo.ts';
import { TransactionForgetting } from '../transactions/forgetting.ts';
import type { TableRef } from '../store/table.ts';
import { SyncCursorCodec } from '../transactions/sync-cursor.ts';
import { TransactionSync } from '../transactions/transaction-sync.ts';
import type { Runtime } from './runtime.ts';
import { missingKey } from './missing-key.ts';
import { secrets } from './secrets.ts';

/** Transactions sync, and the forgetting of a user's copies no app asks about. */
export function transactionsOf(runtime: Runtime, table: TableRef, nexus: NexusClient) {
  const key = cursorKey(runtime);
  let codec: Promise<SyncCursorCodec> | undefined;
  const repository = new TransactionsRepository(table);
  const states = new SyncStateRepository(table);
  const sync = new TransactionSync({
    repository,
    states,
    nexus,
    cursors: () => {
      codec ??= key().then((bytes) => new SyncCursorCodec(bytes, REMOVED_RETENTION_MS));
      // A failed read is tried again by the next call.
      return codec.catch((error: unknown) => {
        codec = undefined;
        throw error;
      });
    },
    clock: runtime.clock,
    log: runtime.log,
    metrics: runtime.metrics,
    histories: new MemberStatesRepository(table),
  });
  return { sync, forgetting: new TransactionForgetting({ repository, states, ...runtime }) };
}

class SyncCursorKeyError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SYNC_CURSOR_KEY_INVALID', message, options);
    this.name = 'SyncCursorKeyError';
  }
}

const cursorKeySecret = z.object({
  key: z.base64().check(z.refine((key: string) => Buffer.from(key, 'base64').length >= 32, 'at least 32 bytes')),
});

/** The key that signs cursors: the deployment's secret, or the key derived from the local stack's. */
function cursorKey(runtime: Runtime): () => Promise<Buffer> {
  const { config } = runtime;
  const source = config.transactionsSync.cursorKey;
  if (source && 'secretArn' in source) {
    const read = jsonSecretReader(source.secretArn, {
      name: 'transactions sync cursor key',
      shape: '{"key"}',
      schema: cursorKeySecret,
      toError: (message, options) => new SyncCursorKeyError(message, options),
      secrets: secrets(),
    });
    return async () => Buffer.from((await read()).key, 'base64');
  }
  if (source) return async () => source.localKey;
  // Raised at the first sync, not at start: the function's reads work without it.
  return async () => {
    throw missingKey(config, 'Transactions sync signs its cursors', 'SYNC_CURSOR_KEY_SECRET_ARN');
  };
}

import * as z from '../zod.ts';
import { ConfigError, NexusRelayError } from '../errors.ts';
import { jsonSecretReader } from '../json-secret.ts';
import { REMOVED_RETENTION_MS, TransactionsRepository } from '../store/transactions-repo.ts';
import { SyncCursorCodec } from '../transactions/sync-cursor.ts';
import { TransactionSync } from '../transactions/transaction-sync.ts';
import type { Services } from './container.ts';
import { nexusClient } from './nexus.ts';
import { table } from './store.ts';

/** Transactions sync: the per-user change log over MX's lists, handed out from an opaque, signed cursor. */
export function transactionSync(services: Services): TransactionSync {
  return services.once(transactionSync, () => {
    const key = cursorKey(services);
    let codec: Promise<SyncCursorCodec> | undefined;
    return new TransactionSync({
      repository: new TransactionsRepository(table(services)),
      nexus: nexusClient(services),
      cursors: () => {
        codec ??= key().then((bytes) => new SyncCursorCodec(bytes, REMOVED_RETENTION_MS));
        // A failed read is tried again by the next call.
        return codec.catch((error: unknown) => {
          codec = undefined;
          throw error;
        });
      },
      clock: services.clock,
      log: services.log,
      metrics: services.metrics,
    });
  });
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
function cursorKey(services: Services): () => Promise<Buffer> {
  const source = services.config.transactionsSync.cursorKey;
  if (source && 'secretArn' in source) {
    const read = jsonSecretReader(source.secretArn, {
      name: 'transactions sync cursor key',
      shape: '{"key"}',
      schema: cursorKeySecret,
      toError: (message, options) => new SyncCursorKeyError(message, options),
    });
    return async () => Buffer.from((await read()).key, 'base64');
  }
  if (source) return async () => source.localKey;
  const missing = () =>
    services.config.env === 'local'
      ? new ConfigError(
          ['LOCAL_SECRETS_KEY'],
          'Transactions sync signs its cursors with the local stack’s key: set LOCAL_SECRETS_KEY (`npm start` does).',
        )
      : new ConfigError(
          ['SYNC_CURSOR_KEY_SECRET_ARN'],
          'Transactions sync signs its cursors with a secret key: set SYNC_CURSOR_KEY_SECRET_ARN (deployed stacks do).',
        );
  return async () => {
    throw missing();
  };
}

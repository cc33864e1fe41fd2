import { ApiKeyAuthenticator } from '../http/auth.ts';
import type { IdempotencyDeps } from '../http/idempotency.ts';
import { KeyRequestLimit } from '../http/key-request-limit.ts';
import { ApiKeysRepository } from '../store/api-keys-repo.ts';
import { IdempotencyRepository } from '../store/idempotency-repo.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import type { TableRef } from '../store/table.ts';
import { digestKeysOf } from './digest-keys.ts';
import { erasedUsersOf } from './erased-users.ts';
import type { ApiKeyAccess } from './http-handler.ts';
import type { Runtime } from './runtime.ts';

/** Only functions with API-key routes build it, so the others load no DynamoDB client. */
export function apiKeyAccessOf(runtime: Runtime, table: TableRef, erased = erasedUsersOf(runtime, table)): ApiKeyAccess {
  const { clock, log, config, metrics } = runtime;
  const { requestsPerMinute: perMinute, userRequestsPerMinute: userPerMinute } = config.apiKeys;
  return {
    authenticator: new ApiKeyAuthenticator(new ApiKeysRepository(table), clock, { log }),
    keyLimit:
      perMinute === 0 && userPerMinute === 0
        ? undefined
        : new KeyRequestLimit({ perMinute, userPerMinute, counter: new RateLimitRepository(table), clock, log }),
    async refuseErasedUser(userId) {
      try {
        await erased.refuseErased(userId);
      } catch (error) {
        metrics.add('ErasedUserRefusals', 1, { at: 'api' });
        throw error;
      }
    },
  };
}

/** What `idempotent` needs. */
export function idempotencyOf(runtime: Runtime, table: TableRef): IdempotencyDeps {
  const { clock, log } = runtime;
  return { store: new IdempotencyRepository(table), digests: digestKeysOf(runtime), clock, log };
}

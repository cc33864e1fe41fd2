import { createDocumentClient } from '../aws/dynamodb-client.ts';
import { ApiKeyAuthenticator } from '../http/auth.ts';
import type { IdempotencyDeps } from '../http/idempotency.ts';
import { KeyRequestLimit } from '../http/key-request-limit.ts';
import { ApiKeysRepository } from '../store/api-keys-repo.ts';
import { IdempotencyRepository } from '../store/idempotency-repo.ts';
import { JobsRepository } from '../store/jobs-repo.ts';
import { RateLimitRepository } from '../store/rate-limit-repo.ts';
import type { TableRef } from '../store/table.ts';
import type { Services } from './container.ts';
import type { ApiKeyAccess } from './http.ts';

/** The table: one DynamoDB client per container. */
export function table(services: Services): TableRef {
  return services.once(table, () => ({
    client: createDocumentClient(services.config.aws),
    tableName: services.config.tableName,
  }));
}

export function jobsRepository(services: Services): JobsRepository {
  return services.once(jobsRepository, () => new JobsRepository(table(services)));
}

/** What `idempotent` / `idempotentWrites` need: the key store, the clock and the logger. */
export function idempotency(services: Services): IdempotencyDeps {
  return services.once(idempotency, () => ({
    store: new IdempotencyRepository(table(services)),
    clock: services.clock,
    log: services.log,
  }));
}

/** The per-key request limit (see apiKeyAccess); undefined when API_KEY_REQUESTS_PER_MINUTE is 0. */
function keyRequestLimit(services: Services): KeyRequestLimit | undefined {
  const perMinute = services.config.apiKeys.requestsPerMinute;
  if (perMinute === 0) return undefined;
  return services.once(
    keyRequestLimit,
    () =>
      new KeyRequestLimit({
        perMinute,
        counter: new RateLimitRepository(table(services)),
        clock: services.clock,
        log: services.log,
      }),
  );
}

/**
 * What `httpHandler` needs to take API keys: their check (built at the first request that carries one) and the
 * per-key limit. Only functions with API-key operations import this, so the others load no DynamoDB client.
 */
export function apiKeyAccess(services: Services): ApiKeyAccess {
  return { authenticator: () => apiKeyAuthenticator(services), keyLimit: keyRequestLimit(services) };
}

/** The API-key check (see apiKeyAccess). */
export function apiKeyAuthenticator(services: Services): ApiKeyAuthenticator {
  return services.once(
    apiKeyAuthenticator,
    () => new ApiKeyAuthenticator(new ApiKeysRepository(table(services)), services.clock, { log: services.log }),
  );
}

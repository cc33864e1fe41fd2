import { createRelayClient, type RelayClient } from '@nexus-relay/client';
import type { ApiTarget } from './target.ts';

export const USER_AGENT = 'nexus-relay-cli';
const TIMEOUT_MS = 60_000;

/**
 * The CLI talks to the relay through the client kit (clients/typescript), as client apps do: typed answers, an
 * `Idempotency-Key` on every POST/PUT (`--idempotency-key` to choose it), retries of 429/503, typed problems.
 */
export const relayClientFor = (target: ApiTarget): RelayClient =>
  createRelayClient({
    baseUrl: target.url,
    apiKey: target.apiKey,
    timeoutMs: TIMEOUT_MS,
    headers: { 'user-agent': USER_AGENT },
  });

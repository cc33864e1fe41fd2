export { createRelayClient, RelayClient } from './client.ts';
export type { CallOptions, ListParams, ListPath, ReadParams, ReadPath, RelayClientOptions } from './client.ts';
export {
  RelayAuthError,
  RelayConflictError,
  RelayGoneError,
  RelayNetworkError,
  RelayNotFoundError,
  RelayProblemError,
  RelayRateLimitError,
  RelayRequestError,
  RelayServerError,
  RelayUpstreamError,
  RelayWaitTimeoutError,
} from './errors.ts';
export type { RelayErrorCode } from './errors.ts';
export { attemptOutcome, deliveryHealth } from './delivery-health.ts';
export type { DeliveryHealth } from './delivery-health.ts';
export { PagedList } from './paging.ts';
export type { Page } from './paging.ts';
export type { SyncLoopPage } from './transactions-sync.ts';
export type { Fetch, RetryOptions, Sleep } from './transport.ts';
export { isFinished } from './wait-for-job.ts';
export type { WaitOptions } from './wait-for-job.ts';
export { verifyWebhook, WebhookVerificationError } from './verify-webhook.ts';
export type { IncomingHeaders, VerifiedWebhook, WebhookVerificationCode } from './verify-webhook.ts';
export type * from './types.ts';

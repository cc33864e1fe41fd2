import { Webhook, WebhookVerificationError as LibraryVerificationError } from 'standardwebhooks';
import type { RelayEvent } from './types.ts';

/** Headers as `node:http`, Express, Hono or the Fetch API give them. */
export type IncomingHeaders = Headers | Record<string, string | string[] | undefined>;

export type WebhookVerificationCode = 'invalid_headers' | 'timestamp_out_of_range' | 'signature_mismatch' | 'no_secret';

/** The delivery is not nexus-relay's (or not as it sent it): answer 400 or 401 and do not act on it. */
export class WebhookVerificationError extends Error {
  override name = 'WebhookVerificationError';
  constructor(
    readonly code: WebhookVerificationCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface VerifiedWebhook {
  /** `webhook-id`: the same on every attempt and replay of one message. Deduplicate on it. */
  id: string;
  /** When this attempt was signed. */
  timestamp: Date;
  event: RelayEvent;
}

/**
 * Verifies a delivery the way Standard Webhooks defines it: the exact bytes received, a `v1` HMAC-SHA256 signature
 * over `id.timestamp.body` by one of `secrets` (give the old and the new during a rotation), and a timestamp within
 * five minutes of now; then parses the event. Throws `WebhookVerificationError` otherwise.
 */
export function verifyWebhook(
  rawBody: string | Uint8Array,
  headers: IncomingHeaders,
  secrets: string | readonly string[],
): VerifiedWebhook {
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const flat = flatHeaders(headers);
  const candidates = typeof secrets === 'string' ? [secrets] : secrets;
  if (candidates.length === 0) throw new WebhookVerificationError('no_secret', 'No webhook secret to verify with');
  let lastError: unknown;
  for (const secret of candidates) {
    try {
      const event = new Webhook(secret).verify(body, flat) as RelayEvent;
      return { id: flat['webhook-id']!, timestamp: new Date(Number(flat['webhook-timestamp']) * 1000), event };
    } catch (error) {
      if (!(error instanceof LibraryVerificationError)) throw error;
      const refused = refusal(error);
      // Headers and timestamp are the same whichever secret is tried: only a signature mismatch tries the next.
      if (refused.code !== 'signature_mismatch') throw refused;
      lastError = refused;
    }
  }
  throw lastError;
}

function refusal(error: Error): WebhookVerificationError {
  const code: WebhookVerificationCode = /headers/i.test(error.message)
    ? 'invalid_headers'
    : /timestamp/i.test(error.message)
      ? 'timestamp_out_of_range'
      : 'signature_mismatch';
  return new WebhookVerificationError(code, error.message, { cause: error });
}

function flatHeaders(headers: IncomingHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  const entries = headers instanceof Headers ? [...headers.entries()] : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

import { InvalidInputError, optionalNonEmptyString, requireJsonObject } from './input-validation.ts';

/**
 * When the simulator pushes: `always` an AGGREGATION webhook after every aggregation that ends CONNECTED (even when it
 * changed nothing: 0/0 counts), `on_change` only when it created or updated transactions (MX documents the webhook
 * for "any completed aggregation with new data"), `never` nothing at all (an MX whose webhooks do not arrive).
 * CONNECTION_STATUS webhooks follow the mode too: sent in `always` and `on_change`, not in `never`.
 */
export const PUSH_MODES = ['always', 'on_change', 'never'] as const;
export type PushMode = (typeof PUSH_MODES)[number];

/** Where the simulator pushes MX webhooks, the HTTP Basic credentials it sends (as MX is given them), and when. */
export interface WebhookTarget {
  url: string;
  username: string;
  password: string;
  mode: PushMode;
}

/**
 * Reads the body of `POST /_sim/webhooks`: `{url, username, password, mode?}` turns pushing on (`mode` defaults to
 * `always`), `{}` or `{url: null}` off.
 */
export function parseWebhookTarget(body: unknown): WebhookTarget | null {
  const input = requireJsonObject(body ?? {}, 'body');
  if (input.url === undefined || input.url === null) return null;
  const url = parseUrl(input.url);
  const username = optionalNonEmptyString(input.username, 'username');
  if (username === undefined) throw new InvalidInputError('username is required with a url');
  if (username.includes(':')) throw new InvalidInputError('username must not contain ":" (HTTP Basic)');
  if (typeof input.password !== 'string') throw new InvalidInputError('password is required with a url (a string)');
  const mode = input.mode ?? 'always';
  if (!PUSH_MODES.includes(mode as PushMode)) throw new InvalidInputError(`mode must be one of ${PUSH_MODES.join(', ')}`);
  return { url, username, password: input.password, mode: mode as PushMode };
}

function parseUrl(value: unknown): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (!url || !['http:', 'https:'].includes(url.protocol)) throw new InvalidInputError('url must be an http(s) URL');
  if (url.username || url.password) throw new InvalidInputError('url must not carry credentials; use username and password');
  return url.href;
}

/** The target as the control API shows it: never the password. */
export const webhookTargetView = (target: WebhookTarget | null) =>
  target && { url: target.url, username: target.username, mode: target.mode };

/** Whether `payload` is pushed under `mode`. */
export function pushedUnder(
  mode: PushMode,
  payload: { type?: string; transactions_created_count?: number; transactions_updated_count?: number },
): boolean {
  if (mode === 'never') return false;
  if (mode === 'always' || payload.type !== 'AGGREGATION') return true;
  return (payload.transactions_created_count ?? 0) + (payload.transactions_updated_count ?? 0) > 0;
}

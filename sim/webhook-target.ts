import { InvalidInputError, optionalNonEmptyString, requireJsonObject } from './input-validation.ts';

/** Where the simulator pushes MX webhooks, and the HTTP Basic credentials it sends (as MX is given them). */
export interface WebhookTarget {
  url: string;
  username: string;
  password: string;
}

/** Reads the body of `POST /_sim/webhooks`: `{url, username, password}` turns pushing on, `{}` or `{url: null}` off. */
export function parseWebhookTarget(body: unknown): WebhookTarget | null {
  const input = requireJsonObject(body ?? {}, 'body');
  if (input.url === undefined || input.url === null) return null;
  const url = parseUrl(input.url);
  const username = optionalNonEmptyString(input.username, 'username');
  if (username === undefined) throw new InvalidInputError('username is required with a url');
  if (username.includes(':')) throw new InvalidInputError('username must not contain ":" (HTTP Basic)');
  if (typeof input.password !== 'string') throw new InvalidInputError('password is required with a url (a string)');
  return { url, username, password: input.password };
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
export const webhookTargetView = (target: WebhookTarget | null) => target && { url: target.url, username: target.username };

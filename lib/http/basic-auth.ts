import { timingSafeEqual } from 'node:crypto';
import type { Log } from '../logger.ts';
import { type ConstantTimeCompare, secretsEqual } from './auth.ts';
import { HttpProblem } from './problem.ts';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Resolves the expected credentials when a request needs them (fixed values, or a secret read once). */
export type BasicCredentialsProvider = () => Promise<BasicCredentials>;

export type { ConstantTimeCompare } from './auth.ts';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/** `Authorization: Basic base64(user:password)` (RFC 7617); undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const match = BASIC.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/**
 * Compares with `secretsEqual` (SHA-256 digests, then `compare`), so `compare` always gets equal-length buffers and
 * the time taken says nothing about the expected values' lengths or contents. Both parts are compared before the
 * results are combined.
 */
export function credentialsMatch(
  given: BasicCredentials,
  expected: BasicCredentials,
  compare: ConstantTimeCompare = timingSafeEqual,
): boolean {
  const username = secretsEqual(given.username, expected.username, compare);
  const password = secretsEqual(given.password, expected.password, compare);
  return username && password;
}

export interface BasicAuthenticatorOptions {
  /** Sent in `www-authenticate: Basic realm="…"`. */
  realm: string;
  /** Undefined when no credentials are configured: every request is then refused. */
  credentials: BasicCredentialsProvider | undefined;
  /** Logged (once) when `credentials` is undefined, to say how to configure them. */
  unconfiguredHint: string;
  log: Log;
  compare?: ConstantTimeCompare;
}

/** Checks HTTP Basic credentials; a refusal is a 401 problem carrying the `www-authenticate` challenge. */
export class BasicAuthenticator {
  #toldUnconfigured = false;

  constructor(private readonly options: BasicAuthenticatorOptions) {}

  async authenticate(authorization: string | undefined): Promise<void> {
    const { credentials, compare } = this.options;
    if (!credentials) {
      this.#sayUnconfiguredOnce();
      throw this.#refusal();
    }
    const given = parseBasicAuthorization(authorization);
    if (!given || !credentialsMatch(given, await credentials(), compare)) throw this.#refusal();
  }

  #sayUnconfiguredOnce(): void {
    if (this.#toldUnconfigured) return;
    this.#toldUnconfigured = true;
    const { realm, unconfiguredHint, log } = this.options;
    log.warn('HTTP Basic credentials not configured: refusing every request', { realm, hint: unconfiguredHint });
  }

  #refusal(): HttpProblem {
    return new HttpProblem('unauthorized', 'Send the expected credentials with HTTP Basic authentication.', {
      headers: { 'www-authenticate': `Basic realm="${this.options.realm}"` },
    });
  }
}

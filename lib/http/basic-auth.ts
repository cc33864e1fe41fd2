import { timingSafeEqual } from 'node:crypto';
import type { Log } from '../logger.ts';
import { type ConstantTimeCompare, secretsEqual } from './auth.ts';
import { HttpProblem } from './problem.ts';

export interface BasicCredentials {
  username: string;
  password: string;
}

/** Resolves the expected credentials when a request needs them. */
export type BasicCredentialsProvider = () => Promise<BasicCredentials>;

export type { ConstantTimeCompare } from './auth.ts';

const BASIC = /^Basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/** Undefined when absent or malformed. */
export function parseBasicAuthorization(header: string | undefined): BasicCredentials | undefined {
  const match = BASIC.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** In constant time, saying nothing of the expected values; both parts are compared before the results are combined. */
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
  realm: string;
  /** Undefined: every request is refused. */
  credentials: BasicCredentialsProvider | undefined;
  /** Logged once when `credentials` is undefined. */
  unconfiguredHint: string;
  log: Log;
  compare?: ConstantTimeCompare;
}

/** A refusal is a 401 carrying the `www-authenticate` challenge. */
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

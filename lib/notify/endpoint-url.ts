import { isIP } from 'node:net';
import { type AddressGuard, BlockedAddressError, blockedRange } from './address-guard.ts';

const MAX_ENDPOINT_URL_LENGTH = 2048;

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);
/** C0 controls, space, DEL and backslash: characters the URL parser drops, encodes or rewrites. */
const UNSENDABLE = /[\x00-\x20\x7f\\]/;

export interface EndpointUrlRules {
  /** Local mode: also accept `http://127.0.0.1` and `http://localhost` (any port). */
  allowInsecureUrls: boolean;
}

/**
 * Why `raw` may not be a webhook endpoint, or undefined. The parser normalises decimal, octal and hex IPv4 forms, so a
 * literal is judged whatever its spelling; hostnames are judged by what they resolve to (`EndpointUrlPolicy`).
 */
export function endpointUrlProblem(raw: string, rules: EndpointUrlRules): string | undefined {
  if (raw.length > MAX_ENDPOINT_URL_LENGTH) return `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters`;
  // The parser would rewrite these: the URL stored would not be the one deliveries go to.
  if (UNSENDABLE.test(raw)) return 'must not contain spaces, control characters or backslashes';
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  const isLocal = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol === 'http:' && rules.allowInsecureUrls && isLocal) return rewritten(raw, url);
  if (url.protocol !== 'https:') {
    return rules.allowInsecureUrls ? 'must use https (or http://127.0.0.1 / http://localhost locally)' : 'must use https';
  }
  if (!rules.allowInsecureUrls && (isLocal || url.hostname.endsWith('.localhost') || isBlockedLiteral(url.hostname))) {
    return 'must point to a public host';
  }
  return rewritten(raw, url);
}

/** A URL the parser would rewrite would not read as the one deliveries go to. */
const rewritten = (raw: string, url: URL): string | undefined =>
  url.href === raw || url.href === `${raw}/` ? undefined : `must be written as it is sent: ${url.href}`;

function isBlockedLiteral(hostname: string): boolean {
  const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  return isIP(address) !== 0 && blockedRange(address, { allowLoopback: false }) !== undefined;
}

/** The URL rules, then every address its host resolves to. Deliveries check again at connect time. */
export class EndpointUrlPolicy {
  constructor(
    private readonly rules: EndpointUrlRules,
    private readonly guard: Pick<AddressGuard, 'resolve'>,
  ) {}

  async problem(raw: string): Promise<string | undefined> {
    const problem = endpointUrlProblem(raw, this.rules);
    if (problem !== undefined) return problem;
    try {
      await this.guard.resolve(new URL(raw).hostname);
      return undefined;
    } catch (error) {
      return error instanceof BlockedAddressError ? 'must resolve only to public addresses' : 'must have a host that resolves';
    }
  }
}

import { BlockList, isIP } from 'node:net';

const MAX_ENDPOINT_URL_LENGTH = 2048;

/**
 * Address ranges a deployed gateway must never POST to (loopback, private, link-local incl. cloud metadata, …).
 * BlockList also applies the IPv4 ranges to IPv4-mapped IPv6 addresses (`::ffff:127.0.0.1`).
 */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

const LOCAL_HOSTS = new Set(['127.0.0.1', 'localhost']);

export interface EndpointUrlRules {
  /** Local mode: also accept `http://127.0.0.1` and `http://localhost` (any port). */
  allowInsecureUrls: boolean;
}

/**
 * Why `raw` may not be a webhook endpoint, or undefined when it may. Checks the URL as written; hostnames that
 * resolve to private addresses must additionally be refused at connect time.
 */
export function endpointUrlProblem(raw: string, rules: EndpointUrlRules): string | undefined {
  if (raw.length > MAX_ENDPOINT_URL_LENGTH) return `must be at most ${MAX_ENDPOINT_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.username !== '' || url.password !== '') return 'must not contain credentials';
  const isLocal = LOCAL_HOSTS.has(url.hostname);
  if (url.protocol === 'http:' && rules.allowInsecureUrls && isLocal) return undefined;
  if (url.protocol !== 'https:') {
    return rules.allowInsecureUrls ? 'must use https (or http://127.0.0.1 / http://localhost locally)' : 'must use https';
  }
  if (!rules.allowInsecureUrls && (isLocal || url.hostname.endsWith('.localhost') || isNonPublicAddress(url.hostname))) {
    return 'must point to a public host';
  }
  return undefined;
}

function isNonPublicAddress(hostname: string): boolean {
  const address = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const family = isIP(address);
  if (family === 0) return false;
  return nonPublic.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

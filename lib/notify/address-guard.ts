import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { NexusRelayError } from '../errors.ts';

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Every address a hostname resolves to. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map(({ address, family }) => ({
    address,
    family: family === 6 ? 6 : 4,
  }));

export interface AddressGuardOptions {
  /** Local mode: loopback addresses are also allowed (a receiver on the developer's machine). */
  allowLoopback: boolean;
  resolver?: Resolver;
}

/** An endpoint's host is, or resolves to, an address webhooks must never reach. */
export class BlockedAddressError extends NexusRelayError {
  readonly hostname: string;
  /** As ipaddr.js names it. */
  readonly range: string;

  constructor(hostname: string, range: string) {
    super('NOTIFY_BLOCKED_ADDRESS', `${hostname} is or resolves to a ${range} address, which webhooks may not reach.`);
    this.name = 'BlockedAddressError';
    this.hostname = hostname;
    this.range = range;
  }
}

/** All global unicast IPv6 is allocated from 2000::/3; anything else (incl. ::/8, IPv4-compatible) is refused. */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR('2000::/3');

/**
 * The range that makes `address` unreachable for webhooks, or undefined when it is public. An allowlist: only `unicast`
 * passes (not link-local 169.254.169.254, private, CGNAT…); IPv4-mapped IPv6 is judged as the IPv4 it carries.
 */
export function blockedRange(address: string, options: Pick<AddressGuardOptions, 'allowLoopback'>): string | undefined {
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(address);
  } catch {
    return 'invalid';
  }
  const range = parsed.range();
  if (range === 'loopback' && options.allowLoopback) return undefined;
  if (range !== 'unicast') return range;
  if (parsed.kind() === 'ipv6' && !parsed.match(GLOBAL_UNICAST_V6)) return 'reserved';
  return undefined;
}

/**
 * `lookup` is handed to the socket so every connection resolves, checks and connects to exactly the addresses it
 * checked: DNS rebinding is refused at connect time.
 */
export class AddressGuard {
  readonly #allowLoopback: boolean;
  readonly #resolver: Resolver;

  constructor(options: AddressGuardOptions) {
    this.#allowLoopback = options.allowLoopback;
    this.#resolver = options.resolver ?? systemResolver;
  }

  assertAllowed(hostname: string, address: string): void {
    const range = blockedRange(address, { allowLoopback: this.#allowLoopback });
    if (range !== undefined) throw new BlockedAddressError(hostname, range);
  }

  /** Throws when any address is refused, or when none resolves. */
  async resolve(hostname: string): Promise<ResolvedAddress[]> {
    const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
    const family = isIP(literal);
    const addresses = family === 0 ? await this.#resolver(hostname) : [{ address: literal, family: family as 4 | 6 }];
    if (addresses.length === 0) throw Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' });
    for (const { address } of addresses) this.assertAllowed(hostname, address);
    return addresses;
  }

  /** A `net.connect` lookup: Node connects to what this returns, so the checked addresses are the ones used. */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };
}

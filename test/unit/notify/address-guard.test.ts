import { describe, expect, it } from 'vitest';
import { AddressGuard, BlockedAddressError, blockedRange, type Resolver } from '../../../lib/notify/address-guard.ts';

const deployed = { allowLoopback: false };
const local = { allowLoopback: true };

const resolverOf =
  (names: Record<string, string[]>): Resolver =>
  async (hostname) => {
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error(`ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };

describe('blockedRange', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private'],
    ['172.16.5.4', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'uniqueLocal'],
    ['fd12:3456::1', 'uniqueLocal'],
    ['169.254.169.254', 'linkLocal'],
    ['fe80::1', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['100.127.255.254', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['192.0.2.1', 'reserved'],
    ['240.0.0.1', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.1.2.3', 'private'],
    ['64:ff9b::a00:1', 'rfc6052'],
    ['2002:7f00:1::', '6to4'],
    ['::7f00:1', 'reserved'],
    ['2001:db8::1', 'reserved'],
    ['not an address', 'invalid'],
  ])('refuses %s (%s)', (address, range) => {
    expect(blockedRange(address, deployed)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])(
    'allows the public address %s',
    (address) => {
      expect(blockedRange(address, deployed)).toBeUndefined();
    },
  );

  it('allows loopback, and only loopback, in local mode', () => {
    for (const address of ['127.0.0.1', '::1', '::ffff:127.0.0.1']) expect(blockedRange(address, local), address).toBeUndefined();
    for (const address of ['10.0.0.1', '169.254.169.254', '0.0.0.0']) expect(blockedRange(address, local), address).toBeDefined();
  });
});

describe('AddressGuard', () => {
  it('resolves a hostname to its addresses when all are public', async () => {
    const guard = new AddressGuard({
      ...deployed,
      resolver: resolverOf({ 'hooks.example.com': ['93.184.215.14', '2606:2800::1'] }),
    });
    expect(await guard.resolve('hooks.example.com')).toEqual([
      { address: '93.184.215.14', family: 4 },
      { address: '2606:2800::1', family: 6 },
    ]);
  });

  it('refuses a hostname when any of its addresses is not public', async () => {
    const guard = new AddressGuard({
      ...deployed,
      resolver: resolverOf({ 'mixed.example.com': ['93.184.215.14', '127.0.0.1'] }),
    });
    const error = await guard.resolve('mixed.example.com').catch((thrown: unknown) => thrown);
    expect(error).toBeInstanceOf(BlockedAddressError);
    expect(error).toMatchObject({ code: 'NOTIFY_BLOCKED_ADDRESS', hostname: 'mixed.example.com', range: 'loopback' });
  });

  it('checks IP literals without resolving them, bracketed IPv6 included', async () => {
    const guard = new AddressGuard({ ...deployed, resolver: () => expect.fail('resolved a literal') });
    await expect(guard.resolve('93.184.215.14')).resolves.toEqual([{ address: '93.184.215.14', family: 4 }]);
    await expect(guard.resolve('[::1]')).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it('passes resolution failures on', async () => {
    const guard = new AddressGuard({ ...deployed, resolver: resolverOf({}) });
    await expect(guard.resolve('nowhere.example.com')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('lookup answers net.connect with the checked addresses, one or all', async () => {
    const guard = new AddressGuard({
      ...deployed,
      resolver: resolverOf({ 'hooks.example.com': ['93.184.215.14', '2606:2800::1'] }),
    });
    const lookup = (options: { all?: boolean }, hostname = 'hooks.example.com') =>
      new Promise<unknown[]>((resolve) => guard.lookup(hostname, options, (...args) => resolve(args)));

    expect(await lookup({ all: true })).toEqual([
      null,
      [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800::1', family: 6 },
      ],
    ]);
    expect(await lookup({})).toEqual([null, '93.184.215.14', 4]);
    const [error] = await lookup({ all: true }, '127.0.0.1');
    expect(error).toBeInstanceOf(BlockedAddressError);
  });
});

import { describe, expect, it } from 'vitest';
import { AddressGuard, type Resolver } from '../../../lib/notify/address-guard.ts';
import { EndpointUrlPolicy, endpointUrlProblem } from '../../../lib/notify/endpoint-url.ts';

const deployed = { allowInsecureUrls: false };
const local = { allowInsecureUrls: true };

describe('endpointUrlProblem', () => {
  it('refuses what the URL parser would drop or rewrite: stored as written, it would not be where deliveries go', () => {
    for (const url of [
      ' http://127.0.0.1/a',
      'http://127.0.0.1/a ',
      'http://127.0.0.1/a\r\nX-Injected: 1\t',
      'https://example.com/a\tb',
      'https://example.com/a b',
      'https://example.com\\hooks',
      'https://example.com/a\x00',
      'https://example.com/a\x7f',
    ]) {
      expect(endpointUrlProblem(url, local), JSON.stringify(url)).toBe(
        'must not contain spaces, control characters or backslashes',
      );
      expect(endpointUrlProblem(url, deployed), JSON.stringify(url)).toBe(
        'must not contain spaces, control characters or backslashes',
      );
    }
  });

  it('refuses a URL the parser rewrites, naming how it is sent, and takes an origin without its slash', () => {
    for (const [url, sent] of [
      ['https://example.com/a/../b', 'https://example.com/b'],
      ['https://EXAMPLE.com/hook', 'https://example.com/hook'],
      ['https://bücher.example/hook', 'https://xn--bcher-kva.example/hook'],
      ['https://example.com/a"b', 'https://example.com/a%22b'],
      ['https://example.com:443/hook', 'https://example.com/hook'],
    ]) {
      expect(endpointUrlProblem(url!, deployed), url).toBe(`must be written as it is sent: ${sent}`);
    }
    expect(endpointUrlProblem('https://example.com', deployed)).toBeUndefined();
  });

  it('accepts public https URLs everywhere', () => {
    for (const url of ['https://example.com/hooks', 'https://hooks.example.com:8443/a?b=c', 'https://93.184.215.14/x']) {
      expect(endpointUrlProblem(url, deployed), url).toBeUndefined();
      expect(endpointUrlProblem(url, local), url).toBeUndefined();
    }
  });

  it('accepts http only for 127.0.0.1 and localhost, only in local mode', () => {
    for (const url of ['http://127.0.0.1:4000/hook', 'http://localhost/hook', 'http://localhost:8080']) {
      expect(endpointUrlProblem(url, local), url).toBeUndefined();
      expect(endpointUrlProblem(url, deployed), url).toBe('must use https');
    }
    expect(endpointUrlProblem('http://example.com/hook', local)).toMatch(/^must use https/);
  });

  it('refuses loopback, private, link-local and metadata addresses when deployed', () => {
    for (const url of [
      'https://localhost/x',
      'https://api.localhost/x',
      'https://127.0.0.1/x',
      'https://2130706433/x',
      'https://0177.0.0.1/x',
      'https://0x7f.0.0.1/x',
      'https://0x7f000001/x',
      'https://017700000001/x',
      'https://127.1/x',
      'https://0/x',
      'https://012.0.0.1/x',
      'https://3232235777/x',
      'https://[::ffff:a9fe:a9fe]/x',
      'https://224.0.0.1/x',
      'https://[ff02::1]/x',
      'https://10.1.2.3/x',
      'https://172.16.0.1/x',
      'https://192.168.1.1/x',
      'https://169.254.169.254/latest/meta-data',
      'https://100.64.0.1/x',
      'https://0.0.0.0/x',
      'https://[::1]/x',
      'https://[fd00::1]/x',
      'https://[fe80::1]/x',
      'https://[::ffff:127.0.0.1]/x',
    ]) {
      expect(endpointUrlProblem(url, deployed), url).toBe('must point to a public host');
    }
  });

  it('refuses what is not an absolute URL, other schemes, credentials and very long URLs', () => {
    expect(endpointUrlProblem('example.com/hook', deployed)).toBe('must be an absolute URL');
    expect(endpointUrlProblem('ftp://example.com/hook', deployed)).toBe('must use https');
    expect(endpointUrlProblem('https://user:pw@example.com/hook', deployed)).toBe('must not contain credentials');
    expect(endpointUrlProblem(`https://example.com/${'a'.repeat(2048)}`, deployed)).toMatch(/at most 2048/);
  });
});

describe('EndpointUrlPolicy', () => {
  const names: Record<string, string[]> = {
    'hooks.example.com': ['93.184.215.14'],
    'internal.example.com': ['10.0.0.7'],
    'rebound.example.com': ['93.184.215.14', '127.0.0.1'],
    localhost: ['127.0.0.1', '::1'],
  };
  const resolver: Resolver = async (hostname) => {
    const addresses = names[hostname];
    if (!addresses) throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? (6 as const) : (4 as const) }));
  };
  const policyFor = (allowInsecureUrls: boolean) =>
    new EndpointUrlPolicy({ allowInsecureUrls }, new AddressGuard({ allowLoopback: allowInsecureUrls, resolver }));

  it('accepts a public https URL whose host resolves to public addresses', async () => {
    expect(await policyFor(false).problem('https://hooks.example.com/a')).toBeUndefined();
  });

  it('refuses hosts that resolve to a private or loopback address, or do not resolve', async () => {
    const deployed = policyFor(false);
    expect(await deployed.problem('https://internal.example.com/a')).toBe('must resolve only to public addresses');
    expect(await deployed.problem('https://rebound.example.com/a')).toBe('must resolve only to public addresses');
    expect(await deployed.problem('https://nowhere.example.com/a')).toBe('must have a host that resolves');
    expect(await deployed.problem('http://hooks.example.com/a')).toBe('must use https');
  });

  it('accepts loopback receivers in local mode only', async () => {
    expect(await policyFor(true).problem('http://localhost:4000/hook')).toBeUndefined();
    expect(await policyFor(true).problem('https://internal.example.com/a')).toBe('must resolve only to public addresses');
    expect(await policyFor(false).problem('https://localhost/hook')).toBe('must point to a public host');
  });
});

import { describe, expect, it } from 'vitest';
import { endpointUrlProblem } from '../../../lib/notify/endpoint-url.ts';

const deployed = { allowInsecureUrls: false };
const local = { allowInsecureUrls: true };

describe('endpointUrlProblem', () => {
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

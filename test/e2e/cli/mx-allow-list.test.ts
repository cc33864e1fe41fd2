import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../../infra/stack-outputs.ts';
import { ONBOARDING_PATH } from '../../../sim/onboarding-routes.ts';
import { type MxSimulator, startMxSimulator } from '../../../sim/server.ts';
import { systemClock } from '../../../sim/clock.ts';
import { runCli } from './cli-process.ts';

/**
 * `mx egress` and `mx allow-list`: the addresses a deployed stack calls MX from (its `MxEgressAddresses` output, read
 * with CloudFormation's DescribeStacks as the AWS SDK sends it, here to a stand-in for the one call), and MX's
 * allow-list for them through MX's onboarding API (the simulator's `/platform`).
 */
const ADDRESSES = ['203.0.113.7', '198.51.100.20'];
let simulator: MxSimulator;
let cloudFormation: Server;
const asked: string[] = [];

beforeAll(async () => {
  simulator = await startMxSimulator({ clock: systemClock, log: () => {} });
  cloudFormation = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
    request.on('end', () => {
      asked.push(body);
      const named = new URLSearchParams(body).get('StackName');
      const outputs =
        named === 'nexus-relay-dev'
          ? `<Outputs><member><OutputKey>${STACK_OUTPUTS.mxEgressAddresses}</OutputKey><OutputValue>${ADDRESSES.join(',')}</OutputValue></member></Outputs>`
          : '<Outputs/>';
      response
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
            `<StackName>${named}</StackName><StackStatus>UPDATE_COMPLETE</StackStatus><CreationTime>2026-11-27T00:00:00Z</CreationTime>${outputs}` +
            `</member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
        );
    });
  });
  await new Promise<void>((resolve) => cloudFormation.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  await simulator?.close();
  await new Promise((resolve) => cloudFormation?.close(resolve));
});

const aws = () => ({
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'not-a-secret',
  AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${(cloudFormation.address() as AddressInfo).port}`,
});

describe('mx egress, mx allow-list', () => {
  it("prints a deployed stack's egress addresses, and says when the stack has none", async () => {
    const printed = await runCli(['mx', 'egress', '--env', 'dev', '--json'], { env: aws(), spawn: true });
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.json()).toEqual({ env: 'dev', addresses: ADDRESSES });
    expect(asked.at(-1)).toContain('Action=DescribeStacks');

    const older = await runCli(['mx', 'egress', '--env', 'staging', '--json'], { env: aws(), spawn: true });
    expect(older.code).toBe(1);
    expect(older.json()).toMatchObject({ code: 'no_egress', detail: expect.stringContaining('nexus-relay-staging') });
  });

  it("reads where MX's allow-list stands, registers what is missing, and keeps MX's reason when it refuses", async () => {
    const platform = `${simulator.url}${ONBOARDING_PATH}`;
    const partner = { MX_CLIENT_ID: 'sim-client', MX_API_KEY: 'sim-api-key' };
    const allowList = (...args: string[]) =>
      runCli(['mx', 'allow-list', '--env', 'dev', '--platform-url', platform, ...args, '--json'], {
        env: { ...aws(), ...partner },
        spawn: true,
      });

    const before = await allowList();
    expect(before.code).toBe(1);
    expect(before.json().addresses).toEqual(ADDRESSES.map((address) => ({ address, status: 'absent' })));

    const registered = await allowList('--register');
    expect(registered.code, registered.stderr).toBe(0);
    expect(registered.json().addresses).toEqual(
      ADDRESSES.map((address) => ({ address, status: 'PENDING', guid: expect.stringMatching(/^IPA-/), registered: true })),
    );
    const after = await allowList();
    expect(after.code).toBe(0);
    expect(after.json().addresses.map((entry: { status: string }) => entry.status)).toEqual(['PENDING', 'PENDING']);

    // Wrong credentials: MX's 401 and its reason, never the key.
    const refused = await runCli(['mx', 'allow-list', '--address', '192.0.2.1', '--platform-url', platform, '--json'], {
      env: { MX_CLIENT_ID: 'sim-client', MX_API_KEY: 'a-wrong-key' },
    });
    expect(refused.code).toBe(1);
    expect(refused.json()).toMatchObject({
      code: 'mx_credentials_refused',
      detail: expect.stringContaining('Invalid credentials'),
    });
    expect(refused.stdout + refused.stderr).not.toContain('a-wrong-key');
  });
});

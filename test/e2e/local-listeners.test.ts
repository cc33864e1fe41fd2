import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/local-stack.ts';
import { PORT_VARIABLES } from '../../infra/local/ports.ts';

/**
 * Where the local stack listens: every socket on loopback only, each port chosen by a variable, and taken ports
 * ending `npm start` with one line each that names the variable to change; partial MX settings refused likewise.
 */
let stack: LocalStack;
/** This process's environment before the stack below rewrites it (it sets MX_* for its simulator). */
const ENV = { ...process.env };
const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { LOG_LEVEL: 'ERROR' } });
}, 60_000);
afterAll(() => stack?.stop());

/** Local addresses of this machine's listening TCP sockets on `port` (Linux: /proc/net/tcp and tcp6). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((fields) => fields[3] === '0A' && fields[1]?.endsWith(`:${hexPort}`)) // 0A: LISTEN
      .map((fields) => fields[1]!.split(':')[0]!),
  );
}

/** Whether a connection from one of this machine's other addresses reaches `port` (where /proc is not there). */
async function reachableFromOutsideLoopback(port: number): Promise<boolean> {
  const outside = Object.values(networkInterfaces())
    .flat()
    .filter((address) => address && !address.internal && address.family === 'IPv4');
  expect(outside.length, 'a non-loopback interface to probe from').toBeGreaterThan(0);
  for (const address of outside) {
    const socket = connect(port, address!.address);
    const [outcome] = await Promise.race([
      once(socket, 'connect').then(() => ['open']),
      once(socket, 'error').then(() => ['refused']),
    ]);
    socket.destroy();
    if (outcome === 'open') return true;
  }
  return false;
}

describe('npm start', () => {
  it('listens on 127.0.0.1 only: gateway, simulator, DynamoDB and SQS engines', async () => {
    const ports = [stack.url, stack.simulatorUrl!, stack.engines.dynamoDbEndpoint, stack.engines.sqsEndpoint].map(portOf);
    expect(new Set(ports).size).toBe(4);
    for (const port of ports) {
      if (process.platform === 'linux') {
        // 0100007F is 127.0.0.1 as /proc/net/tcp writes it; 0.0.0.0 or [::] would be 00000000 or all zeros.
        expect([port, listeningAddresses(port)]).toEqual([port, ['0100007F']]);
      } else {
        expect([port, await reachableFromOutsideLoopback(port)]).toEqual([port, false]);
      }
    }
  });

  /** `npm start` with `env` over this process's: its exit code and what it printed to stderr. */
  async function failedStart(env: Record<string, string>): Promise<{ code: number | null; lines: string[] }> {
    const child = spawn(process.execPath, ['--import', 'tsx', 'infra/local/start.ts'], {
      env: { ...ENV, PORT: '0', MX_SIM_PORT: '0', DYNAMODB_PORT: '0', SQS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, lines: stderr.trim().split('\n') };
  }

  it('taken ports end the start with one line each, all at once, naming their variables; exit code 1, no stack trace', async () => {
    const taken: Server[] = [];
    try {
      const ports: Record<string, number> = {};
      for (const { variable } of Object.values(PORT_VARIABLES)) {
        const server = createServer();
        taken.push(server);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        ports[variable] = (server.address() as AddressInfo).port;
      }
      const { code, lines } = await failedStart(Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])));
      expect(code).toBe(1);
      expect(lines).toEqual(
        Object.entries(ports).map(
          ([variable, port]) => `Port ${port} is taken (${variable}): set ${variable} to a free port, or to 0 for any free port.`,
        ),
      );
    } finally {
      taken.forEach((server) => server.close());
    }
  }, 30_000);

  it('partial MX settings refuse to start with one line naming what is missing, instead of using the simulator', async () => {
    const { code, lines } = await failedStart({
      MX_BASE_URL: 'https://int-data.moneydesktop.com',
      MX_CLIENT_ID: 'abc',
      MX_API_KEY: '',
    });
    expect(code).toBe(1);
    expect(lines).toEqual([
      'MX settings are partial: MX_BASE_URL and MX_CLIENT_ID are set but MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY ' +
        'are not. Set MX_SSO_BASE_URL, MX_REALTIME_BASE_URL and MX_API_KEY to talk to that MX, or unset MX_BASE_URL and ' +
        'MX_CLIENT_ID to run against the simulator.',
    ]);
  }, 30_000);
});

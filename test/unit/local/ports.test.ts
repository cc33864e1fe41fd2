import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { assertPortsFree, PortInUseError, PortsInUseError } from '../../../infra/local/ports.ts';

const held: Server[] = [];
afterEach(() => held.splice(0).forEach((server) => server.close()));

async function takenPort(): Promise<number> {
  const server = createServer();
  held.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

describe('ports taken before the local stack starts', () => {
  it('are all named at once, one line each with its variable (issue 38 #8)', async () => {
    const [gateway, simulator] = [await takenPort(), await takenPort()];
    const check = assertPortsFree({ gateway, simulator, dynamodb: 0, sqs: 0 });
    await expect(check).rejects.toBeInstanceOf(PortsInUseError);
    await expect(check).rejects.toThrow(
      `Port ${gateway} is taken (PORT): set PORT to a free port, or to 0 for any free port.\n` +
        `Port ${simulator} is taken (MX_SIM_PORT): set MX_SIM_PORT to a free port, or to 0 for any free port.`,
    );
  });

  it('one taken port is the one-line error it always was; free and 0 ports pass', async () => {
    const port = await takenPort();
    await expect(assertPortsFree({ gateway: 0, simulator: 0, dynamodb: port, sqs: 0 })).rejects.toBeInstanceOf(PortInUseError);
    await Promise.all(held.splice(0).map((server) => new Promise((closed) => server.close(closed))));
    await expect(assertPortsFree({ gateway: 0, simulator: 0, dynamodb: port, sqs: 0 })).resolves.toBeUndefined();
  });
});

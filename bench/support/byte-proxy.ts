import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

/** A TCP proxy to `target` counting the bytes each way: what a NAT gateway between the relay and MX would process. */
export interface ByteProxy {
  url: string;
  /** Bytes sent to MX and received from it so far. */
  bytes(): { toMx: number; fromMx: number };
  close(): Promise<void>;
}

export async function startByteProxy(target: string): Promise<ByteProxy> {
  const { hostname, port } = new URL(target);
  const counted = { toMx: 0, fromMx: 0 };
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(port), hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => (socket === client ? upstream : client).destroy());
    }
    client.on('data', (chunk: Buffer) => (counted.toMx += chunk.length));
    upstream.on('data', (chunk: Buffer) => (counted.fromMx += chunk.length));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    bytes: () => ({ ...counted }),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

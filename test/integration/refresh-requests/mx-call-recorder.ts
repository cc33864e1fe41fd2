import { createServer, request as forward } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A pass-through in front of the MX simulator that notes when each aggregate call reaches "MX" (sub-millisecond
 * clock), so a test can count them in any one-second span without changing the simulator.
 */
export async function startMxCallRecorder(simulatorUrl: string) {
  const aggregateCalls: number[] = [];
  const server = createServer((incoming, outgoing) => {
    if (/^\/members\/[^/?]+\/aggregate(?:\?|$)/.test(incoming.url ?? '')) {
      aggregateCalls.push(performance.timeOrigin + performance.now());
    }
    const upstream = forward(
      `${simulatorUrl}${incoming.url}`,
      { method: incoming.method, headers: incoming.headers },
      (answer) => {
        outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    aggregateCalls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

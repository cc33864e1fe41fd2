import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeEventsRefresh } from '../../../lib/compositions/events-refresh.ts';
import { parseConfig } from '../../../lib/config.ts';
import { request } from '../../../lib/undici.ts';
import { LOOKAHEAD_WINDOWS, MAX_ATTEMPTS } from '../../../lib/aggregation/refresh-rate-limiter.ts';

/**
 * events-refresh's MX client waits for the rate cap's permit on top of MX's timeouts (extraWaitMs), but not when
 * connecting: its data pool keeps one attempt's connect limit, so a data host that takes a connection and never
 * answers the TLS handshake fails the attempt as never sent (retried, even for aggregate) well before the wait
 * would end it as timed out (not retried: MX may have acted).
 */
const REQUEST_TIMEOUT_MS = 200;
/** The least the rate cap's wait can be: its attempts over their windows, each window over a second long. */
const LEAST_CAP_WAIT_MS = MAX_ATTEMPTS * (LOOKAHEAD_WINDOWS + 1) * 1000;

let silent: Server;
let port: number;
const sockets = new Set<Socket>();
beforeAll(async () => {
  // Takes every connection and says nothing: a TLS client waits for the server's hello until it gives up.
  silent = createServer((socket) => sockets.add(socket));
  await new Promise<void>((listening) => silent.listen(0, '127.0.0.1', listening));
  port = (silent.address() as { port: number }).port;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((closed) => silent.close(closed));
});

describe("events-refresh's MX data pool", () => {
  it('gives up connecting after one attempt’s limit, not the limit plus the rate cap’s wait', async () => {
    const { mxData } = composeEventsRefresh(
      parseConfig({
        NEXUS_RELAY_ENV: 'local',
        TABLE_NAME: 'connect-limit-test',
        POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
        MEMBER_REPORTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/member-reports',
        RECONCILE_QUEUE_URL: 'http://127.0.0.1:1/000000000000/reconcile',
        DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
        REFRESH_REQUESTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/refresh-requests',
        REFRESH_REQUESTS_DLQ_URL: 'http://127.0.0.1:1/000000000000/refresh-requests-dlq',
        MX_BASE_URL: `https://127.0.0.1:${port}`,
        MX_USE_CASES_ENABLED: 'true',
        MX_REALTIME_BASE_URL: `https://127.0.0.1:${port}/mdx-realtime`,
        MX_CLIENT_ID: 'client',
        MX_API_KEY: 'key',
        MX_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
        AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
        AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
        LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
        LOG_LEVEL: 'ERROR',
      }),
    );
    const started = performance.now();
    await expect(request(mxData, { path: '/users', method: 'GET' })).rejects.toMatchObject({
      code: 'UND_ERR_CONNECT_TIMEOUT',
    });
    // The bound sits halfway between the two limits, far from either.
    expect(performance.now() - started).toBeLessThan(REQUEST_TIMEOUT_MS + LEAST_CAP_WAIT_MS / 2);
    await mxData.close();
  });
});

import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { type MxSimulator, startMxSimulator } from '../../server.ts';

export const NEXUS_MEDIA_TYPE = 'application/vnd.mx.nexus.v1+json';
/** The session body that keeps MX from aggregating the user's members, as the relay sends it. */
export const SKIP_AGGREGATION = JSON.stringify({ session: { skip_aggregation: true } });

/** `GET /_sim/users/{user_id}`: the guids and day ranges to build read paths from. */
export interface UserSummary {
  user_id: string;
  user_guid: string;
  members: string[];
  accounts: string[];
  beats: string[];
  spending_plans: { guid: string; spending_plan_accounts: string[] }[];
  categories: { guid: string; top_level_category_guid: string }[];
  transactions: {
    count: number;
    first_date: string | null;
    last_date: string | null;
    created_first: string | null;
    created_last: string | null;
    updated_first: string | null;
    updated_last: string | null;
  };
}

export interface SimHarness {
  sim: MxSimulator;
  clock: ManualClock;
  /** POST /_sim/members; returns the MX-shaped member. */
  putMember(spec: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** SSO api_token then POST /sessions, as a client would; returns the session token. */
  openSession(userId: string): Promise<string>;
  /** A Nexus data call carrying the session token. */
  nexus(path: string, sessionToken: string, init?: RequestInit): Promise<Response>;
  control(path: string, body?: unknown): Promise<Response>;
  userSummary(userId: string): Promise<UserSummary>;
  stats(): Promise<{ calls: Record<string, number>; paths: string[]; aggregations_started_by_sessions: number }>;
}

const running: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((sim) => sim.close()));
});

/** A simulator started by the test itself (another clock, other options), closed after the test. */
export async function startOwnSimulator(options: Parameters<typeof startMxSimulator>[0]): Promise<MxSimulator> {
  const sim = await startMxSimulator(options);
  running.push(sim);
  return sim;
}

export interface WebhookEndpoint {
  /** Where to point `POST /_sim/webhooks`. */
  url: string;
  /** Every webhook received, oldest first, with its Authorization header. */
  received: { authorization?: string; body: Record<string, unknown> }[];
}

/** An MX-webhook receiver on a free port answering 204, closed after the test. */
export async function startWebhookEndpoint(): Promise<WebhookEndpoint> {
  const received: WebhookEndpoint['received'] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({ authorization: request.headers.authorization, body: JSON.parse(Buffer.concat(chunks).toString()) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  running.push({ close: () => new Promise((resolve) => server.close(() => resolve())) });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mx/webhooks`, received };
}

/** A simulator on a free port with a ManualClock, closed after the test. */
export async function startSimHarness(seed = 7): Promise<SimHarness> {
  const clock = new ManualClock();
  const sim = await startMxSimulator({ clock, seed });
  running.push(sim);

  const control = (path: string, body?: unknown) =>
    fetch(`${sim.url}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

  return {
    sim,
    clock,
    control,
    async putMember(spec) {
      const response = await control('/_sim/members', spec);
      if (response.status !== 201) throw new Error(`putMember: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { member: Record<string, unknown> }).member;
    },
    async openSession(userId) {
      const sso = await fetch(`${sim.url}/sim-client/users/${encodeURIComponent(userId)}/api_token`, {
        headers: { 'MD-API-KEY': 'sim-api-key' },
      });
      const { api_token } = (await sso.json()) as { api_token: { token: string } };
      const session = await fetch(`${sim.url}/sessions`, {
        method: 'POST',
        headers: { 'MD-API-TOKEN': api_token.token, accept: NEXUS_MEDIA_TYPE, 'content-type': NEXUS_MEDIA_TYPE },
        body: SKIP_AGGREGATION,
      });
      return ((await session.json()) as { session: { token: string } }).session.token;
    },
    nexus(path, sessionToken, init = {}) {
      return fetch(`${sim.url}${path}`, {
        ...init,
        headers: { accept: NEXUS_MEDIA_TYPE, 'MD-SESSION-TOKEN': sessionToken, ...init.headers },
      });
    },
    async userSummary(userId) {
      const response = await control(`/_sim/users/${encodeURIComponent(userId)}`);
      if (response.status !== 200) throw new Error(`userSummary: ${response.status} ${await response.text()}`);
      return (await response.json()) as UserSummary;
    },
    async stats() {
      return (await (await fetch(`${sim.url}/_sim/stats`)).json()) as Awaited<ReturnType<SimHarness['stats']>>;
    },
  };
}

export interface NexusReply<T> {
  status: number;
  body: T;
}

/** Just enough typing to walk Nexus bodies; the tests assert the actual shapes. */
export type NexusRecord = Record<string, unknown> & { guid: string };
export interface Pagination {
  current_page: number;
  per_page: number;
  total_entries: number;
  total_pages: number;
}
export type ListBody<Root extends string> = Record<Root, NexusRecord[]> & { pagination: Pagination };
export type ObjectBody<Root extends string> = Record<Root, NexusRecord>;

export interface SeededReader extends SimHarness {
  summary: UserSummary;
  /** GET a Nexus path with the user's session; the JSON body, typed as the caller expects it. */
  get<T = unknown>(path: string): Promise<NexusReply<T>>;
}

/** A fresh simulator and a session for one of its seeded users, with that user's `/_sim/users` summary. */
export async function startSeededReader(userId: string, seed = 7): Promise<SeededReader> {
  const harness = await startSimHarness(seed);
  const token = await harness.openSession(userId);
  return {
    ...harness,
    summary: await harness.userSummary(userId),
    async get<T>(path: string) {
      const response = await harness.nexus(path, token);
      return { status: response.status, body: (await response.json()) as T };
    },
  };
}

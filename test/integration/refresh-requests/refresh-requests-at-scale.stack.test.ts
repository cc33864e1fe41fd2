import { MDX_REALTIME_PATH } from '../../../sim/mdx-realtime-routes.ts';
import { randomUUID } from 'node:crypto';
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { RelayLogger } from '../../../lib/logger.ts';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { createSqsClient } from '../../../lib/aws/sqs-client.ts';
import { receiveMessages } from '../../support/receive-messages.ts';
import { startWebhookReceiver } from '../../support/webhook-receiver.ts';
import { startEnginesProcess } from '../notify/engines-process.ts';
import { maxInAnySpan } from '../../unit/refresh-requests/support/max-in-span.ts';
import { type MxProcess, startMxProcess } from './mx-process.ts';

/**
 * Issue 5, acceptance 6: refresh requests dropped on the `refresh-requests` queue at once — half as EventBridge
 * events, half bare; 5 % invalid, 5 % repeating an earlier request's idempotency key — consumed by `events-refresh`
 * through the local poller, over real dynalite and fauxqs (in a process of their own) and the MX simulator behind a
 * recorder, with the default cap of 20 aggregations per second. Members aggregate for 1 s; some lack PFM, so MX
 * would refuse them: the relay, reading each member it has never seen, refuses them before MX is asked. What must hold: every valid request gets exactly one terminal webhook (`aggregation.rejected` for
 * the refused), each invalid one is in the DLQ with its reason, and MX never sees more aggregate calls in any
 * one-second span than the cap.
 *
 * The acceptance names 2,000 requests: `REFRESH_REQUESTS_AT_SCALE=2000 npx vitest run <this file>` (about two
 * minutes on 2 cores: the whole local pipeline — job, poll loop and delivery — does 15–20 aggregations a second
 * there, bound by AWS SDK and dynalite CPU). `npm test` runs 400, the same mix, in well under a minute.
 */
const MESSAGES = Number(process.env.REFRESH_REQUESTS_AT_SCALE ?? 400);
const INVALID = Math.round(MESSAGES * 0.05);
const DUPLICATES = Math.round(MESSAGES * 0.05);
const UNIQUE = MESSAGES - INVALID - DUPLICATES;
const WITHOUT_PFM = Math.round(UNIQUE * 0.03);
const USERS = Math.ceil(UNIQUE / 30);
const CAP_PER_SECOND = 20;
/** Batches in flight: more than the limiter's look-ahead holds, so some requests are handed back over the cap. */
const CONSUMER_BATCHES = 5;
const TERMINAL_TYPES = [
  'aggregation.succeeded',
  'aggregation.action_required',
  'aggregation.failed',
  'aggregation.timed_out',
  'aggregation.rejected',
];

/** Bodies that can never be a refresh request, and the reason each must be dead-lettered with. */
const INVALID_KINDS: { body: (i: number) => string; reason: string; field?: string }[] = [
  { body: (i) => `{"user_id":"u${i}",`, reason: 'invalid_json' },
  { body: (i) => JSON.stringify({ user_id: `u${i}`, member_guid: `ACT-${i}` }), reason: 'invalid_request', field: 'member_guid' },
  { body: (i) => JSON.stringify({ member_guid: `MBR-bad-${i}` }), reason: 'invalid_request', field: 'user_id' },
  {
    body: (i) => JSON.stringify({ user_id: `u${i}`, member_guid: `MBR-bad-${i}`, include_holding: true }),
    reason: 'invalid_request',
    field: 'include_holding',
  },
  {
    body: (i) => JSON.stringify(eventBridgeEvent({ user_id: `u ${i}`, member_guid: `MBR-bad-${i}` })),
    reason: 'invalid_request',
    field: 'detail.user_id',
  },
];

const eventBridgeEvent = (detail: unknown) => ({
  version: '0',
  id: randomUUID(),
  'detail-type': 'nexus-relay.refresh.requested',
  source: 'com.example.ledger',
  account: '123456789012',
  time: new Date().toISOString(),
  region: 'us-east-1',
  resources: [],
  detail,
});

let mx: MxProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let stack: LocalStack;
let sqs: SQSClient;
/** How each request ended, from the consumer's log lines. */
const outcomes = new Map<string, number>();

beforeAll(async () => {
  mx = await startMxProcess();
  receiver = await startWebhookReceiver();
  stack = await startLocalStack({
    port: 0,
    simPort: 0,
    startEngines: startEnginesProcess,
    pollerConcurrency: { 'refresh-requests': CONSUMER_BATCHES, poll: 4, delivery: 6 },
    env: {
      MX_BASE_URL: mx.recorderUrl,
      MX_USE_CASES_ENABLED: 'true',
      MX_SSO_BASE_URL: mx.recorderUrl,
      MX_REALTIME_BASE_URL: `${mx.recorderUrl}${MDX_REALTIME_PATH}`,
      MX_CLIENT_ID: 'sim-client',
      MX_API_KEY: 'sim-api-key',
      REFRESH_EVENTS_PER_SECOND: String(CAP_PER_SECOND),
      LOG_LEVEL: 'WARN',
    },
  });
  // Every container's logger (RelayLogger, by its prototype): the refresh-request lines are counted by outcome;
  // the rest, bar errors, is kept quiet.
  for (const level of ['debug', 'info', 'warn'] as const) {
    vi.spyOn(RelayLogger.prototype, level).mockImplementation((message: unknown, ...extra: unknown[]) => {
      const fields = extra[0] as { outcome?: string; reason?: string; error?: { code?: string } } | undefined;
      const outcome = fields?.outcome && [fields.outcome, fields.reason ?? fields.error?.code].filter(Boolean).join(':');
      if (String(message).startsWith('refresh request') && outcome) outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
    });
  }
  sqs = createSqsClient({ region: stack.engines.region, sqsEndpoint: stack.engines.sqsEndpoint });

  const subscribed = await fetch(`${stack.url}/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url: receiver.url, event_types: TERMINAL_TYPES }),
  });
  expect(subscribed.status).toBe(201);
  receiver.useSecret(((await subscribed.json()) as { webhook: { secret: string } }).webhook.secret);
}, 60_000);

afterAll(async () => {
  vi.restoreAllMocks();
  await stack?.stop();
  sqs?.destroy();
  await receiver?.close();
  await mx?.stop();
});

interface ValidRequest {
  user_id: string;
  member_guid: string;
  idempotency_key: string;
  correlation_id: string;
  include_transactions: boolean;
}

async function putSimMembers(requests: ValidRequest[], withoutPfm: Set<string>): Promise<void> {
  for (let i = 0; i < requests.length; i += 50) {
    await Promise.all(
      requests.slice(i, i + 50).map(async ({ user_id, member_guid }) => {
        const response = await fetch(`${mx.simulatorUrl}/_sim/members`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            user_id,
            member_guid,
            aggregation: { duration_ms: 1_000, final_status: 'CONNECTED' },
            ...(withoutPfm.has(member_guid) ? { use_cases: ['MONEY_MOVEMENT'] } : {}),
          }),
        });
        expect(response.status).toBe(201);
      }),
    );
  }
}

async function sendAll(bodies: string[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(bodies.length / 10) }, (_, i) => bodies.slice(i * 10, i * 10 + 10));
  await Promise.all(
    batches.map(async (batch) => {
      const sent = await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: stack.engines.queueUrls['refresh-requests'],
          Entries: batch.map((body, i) => ({ Id: String(i), MessageBody: body })),
        }),
      );
      expect(sent.Failed ?? []).toEqual([]);
    }),
  );
}

/** The shuffle is seeded, so that every run sends the same mix in the same order. */
function shuffled<T>(items: T[]): T[] {
  let seed = 7;
  const random = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
  const result = [...items];
  for (let i = result.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}

it(
  `${MESSAGES} requests at once: one terminal webhook per valid request, the invalid in the DLQ with reasons, MX under the cap`,
  async () => {
    const valid: ValidRequest[] = Array.from({ length: UNIQUE }, (_, i) => ({
      user_id: `scale-user-${i % USERS}`,
      member_guid: `MBR-scale-${i}`,
      idempotency_key: `refresh-${i}`,
      correlation_id: `corr-${i}`,
      include_transactions: i % 2 === 0,
    }));
    const withoutPfm = new Set(valid.slice(0, WITHOUT_PFM).map((request) => request.member_guid));
    await putSimMembers(valid, withoutPfm);

    const asMessage = (request: ValidRequest, i: number) => JSON.stringify(i % 2 === 0 ? request : eventBridgeEvent(request));
    const invalid = Array.from({ length: INVALID }, (_, i) => ({
      ...INVALID_KINDS[i % INVALID_KINDS.length]!,
      body: INVALID_KINDS[i % INVALID_KINDS.length]!.body(i),
    }));
    const bodies = shuffled([
      ...valid.map(asMessage),
      // The same request again (same idempotency key), as a bare body or as another EventBridge event.
      ...valid
        .slice(Math.floor(WITHOUT_PFM / 2), Math.floor(WITHOUT_PFM / 2) + DUPLICATES)
        .map((request, i) => asMessage(request, i + 1)),
      ...invalid.map((entry) => entry.body),
    ]);
    expect(bodies).toHaveLength(MESSAGES);

    const startedAt = Date.now();
    await sendAll(bodies);
    const sentMs = Date.now() - startedAt;
    const isTerminal = (event: { type: string }) => TERMINAL_TYPES.includes(event.type);
    // UNIQUE distinct events (by webhook-id): a delivery sent twice (at least once) must not end the wait early.
    // A hang guard, not a pace: alone they all end in about 30 s; beside the other suites on two cores, past 97 s.
    const deadline = Date.now() + 120_000 + (UNIQUE * 1000) / 4;
    for (let seen = receiver.events.filter(isTerminal); new Set(seen.map((event) => event.id)).size < UNIQUE;) {
      seen = await receiver.waitFor(isTerminal, seen.length + 1, Math.max(1, deadline - Date.now()));
    }
    const allTerminalMs = Date.now() - startedAt;
    const deadLettered = await receiveMessages(sqs, stack.engines.deadLetterQueueUrls['refresh-requests'], INVALID, {
      timeoutMs: 10_000,
    });
    // A little longer, for any second webhook or aggregate call to show up.
    await new Promise((resolve) => setTimeout(resolve, 3_000));

    // Deliveries are at least once: a receiver dedupes on webhook-id, as this one does; one event per member must remain.
    const terminal = [...new Map(receiver.events.filter(isTerminal).map((event) => [event.id, event])).values()];
    const memberOf = (event: (typeof terminal)[number]) =>
      event.type === 'aggregation.rejected'
        ? (event.data as unknown as { request: { member_guid: string } }).request.member_guid
        : (event.data.job.member_guid as string);
    const webhooksPerMember = new Map<string, number>();
    for (const event of terminal) webhooksPerMember.set(memberOf(event), (webhooksPerMember.get(memberOf(event)) ?? 0) + 1);

    const calls = await mx.aggregateCalls();
    const perCalendarSecond = new Map<number, number>();
    for (const at of calls) perCalendarSecond.set(Math.floor(at / 1000), (perCalendarSecond.get(Math.floor(at / 1000)) ?? 0) + 1);
    const maxPerSlidingSecond = maxInAnySpan(calls, 1_000);
    const spanSeconds = (Math.max(...calls) - Math.min(...calls)) / 1000;

    console.info(
      [
        `messages ${MESSAGES}: valid ${UNIQUE} (${WITHOUT_PFM} without PFM), invalid ${INVALID}, duplicates ${DUPLICATES}`,
        `sent in ${sentMs} ms; every terminal webhook in ${allTerminalMs} ms`,
        `terminal webhooks ${terminal.length} (${terminal.filter((e) => e.type === 'aggregation.succeeded').length} succeeded, ` +
          `${terminal.filter((e) => e.type === 'aggregation.rejected').length} rejected) for ${webhooksPerMember.size} members`,
        `dead-lettered ${deadLettered.length}; outcomes ${JSON.stringify(Object.fromEntries(outcomes))}`,
        `MX aggregate calls ${calls.length} over ${spanSeconds.toFixed(1)} s (${(calls.length / spanSeconds).toFixed(1)}/s); ` +
          `max in any 1 s window ${maxPerSlidingSecond}, max in a calendar second ${Math.max(...perCalendarSecond.values())} (cap ${CAP_PER_SECOND})`,
      ].join('\n'),
    );

    expect(receiver.rejected).toEqual([]);
    expect(terminal.every((event) => event.verified)).toBe(true);
    expect([...webhooksPerMember.keys()].sort()).toEqual(valid.map((request) => request.member_guid).sort());
    expect([...webhooksPerMember.values()].every((count) => count === 1)).toBe(true);
    for (const event of terminal) {
      const request = valid.find((candidate) => candidate.member_guid === memberOf(event))!;
      expect(event.type).toBe(withoutPfm.has(request.member_guid) ? 'aggregation.rejected' : 'aggregation.succeeded');
      if (event.type === 'aggregation.rejected') {
        expect(event.data).toMatchObject({
          request: { correlation_id: request.correlation_id },
          reason: 'use_case_not_permitted',
        });
      } else {
        // The request's correlation_id travels with the job it started, into its events.
        expect(event.data.job).toMatchObject({ member_guid: request.member_guid, correlation_id: request.correlation_id });
      }
    }
    // … and into the job as the API shows it.
    const succeeded = terminal.filter((event) => event.type === 'aggregation.succeeded');
    for (const event of succeeded.filter((_, i) => i % Math.ceil(succeeded.length / 20) === 0)) {
      const answer = await fetch(`${stack.url}/jobs/${event.data.job.id as string}`, {
        headers: { authorization: `Bearer ${stack.apiKey}` },
      });
      expect(answer.status).toBe(200);
      const { job } = (await answer.json()) as { job: { correlation_id?: string } };
      expect(job.correlation_id).toBe(event.data.job.correlation_id);
    }

    // One aggregate call per valid member with PFM; those without are refused before MX (their member read first).
    expect(calls).toHaveLength(UNIQUE - withoutPfm.size);
    expect(maxPerSlidingSecond).toBeLessThanOrEqual(CAP_PER_SECOND);

    const dead = deadLettered.map((message) => ({
      body: message.Body,
      reason: message.MessageAttributes?.reason?.StringValue,
      field: message.MessageAttributes?.error_field?.StringValue,
    }));
    expect(dead.sort((a, b) => a.body!.localeCompare(b.body!))).toEqual(
      invalid.map(({ body, reason, field }) => ({ body, reason, field })).sort((a, b) => a.body.localeCompare(b.body)),
    );
    expect(outcomes.get('duplicate')).toBe(DUPLICATES);
  },
  180_000 + (MESSAGES * 1000) / 4,
);

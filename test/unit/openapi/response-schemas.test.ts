import { testDigestKeys } from '../../support/digest-keys.ts';
import { describe, expect, it } from 'vitest';
import { startedEvent, terminalEvent } from '../../../lib/aggregation/job-events.ts';
import { rejectedEvent } from '../../../lib/aggregation/refresh-requests.ts';
import { type Job, newJobId } from '../../../lib/aggregation/job.ts';
import { jobView, jobViewSchema as job } from '../../../lib/aggregation/job-view.ts';
import { problemSchema as problem } from '../../../lib/http/openapi/response-schemas.ts';
import { HttpProblem } from '../../../lib/http/problem.ts';
import {
  attemptSchema as attempt,
  attemptView,
  deliverySchema as delivery,
  deliveryView,
  webhookSchema,
  webhookView,
  webhookWithSecretSchema as webhookWithSecret,
} from '../../../lib/notify/webhook-views.ts';
import { serializeEvent, TEST_EVENT_TYPE, webhookEventBodies } from '../../../lib/notify/events.ts';

const WEBHOOK_EVENTS = webhookEventBodies();
import type { Delivery } from '../../../lib/notify/delivery.ts';
import type { Webhook } from '../../../lib/notify/webhooks-repo.ts';

/** The documented shapes are strict: a view that gains, loses or retypes a field fails here until they agree. */
const NOW = Date.parse('2026-03-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

const challenged: Job = {
  id: newJobId(NOW),
  userId: 'user-1',
  memberGuid: 'MBR-1',
  status: 'action_required',
  kind: 'aggregation',
  trigger: 'refresh',
  connectionStatus: 'CHALLENGED',
  step: 3,
  polls: 3,
  pollErrors: 0,
  createdAt: NOW - 60_000,
  updatedAt: NOW,
  finishedAt: NOW,
  deadlineAt: NOW + 600_000,
  nextPollAt: NOW,
  member: {
    guid: 'MBR-1',
    connection_status: 'CHALLENGED',
    connection_status_id: 4,
    connection_status_message: 'Answer the question',
    is_being_aggregated: false,
    aggregated_at: iso(NOW - 60_000),
    successfully_aggregated_at: null,
  },
  challenges: [{ guid: 'CRD-1', type: 'TEXT', label: 'Pet?', field_name: null, extra: 'kept' }],
};
const aggregating: Job = {
  ...challenged,
  status: 'aggregating',
  connectionStatus: null,
  finishedAt: undefined,
  member: undefined,
};

const webhook: Webhook = {
  id: 'wh_abc',
  url: 'https://example.com/hook',
  eventTypes: ['aggregation.*'],
  description: 'ours',
  status: 'disabled',
  disabledReason: 'endpoint_failing',
  disabledAt: iso(NOW),
  failingSince: iso(NOW - 1000),
  secrets: [
    { secret: 'whsec_new', createdAt: iso(NOW) },
    { secret: 'whsec_old', createdAt: iso(NOW - 5000), expiresAt: iso(NOW + 86_400_000) },
  ] as Webhook['secrets'],
  createdAt: iso(NOW - 5000),
  updatedAt: iso(NOW),
};

const failed: Delivery = {
  webhookId: 'wh_abc',
  msgId: 'msg_1',
  eventType: 'aggregation.succeeded',
  payload: '{}',
  status: 'failed',
  attemptCount: 2,
  attemptsBeforeRound: 0,
  attempts: [
    { at: iso(NOW - 1000), statusCode: 500, latencyMs: 12, responseExcerpt: 'oops' },
    { at: iso(NOW), latencyMs: 10_000, error: 'timeout' },
  ],
  nextAttemptAt: NOW + 5000,
  failureReason: 'attempts_exhausted',
  createdAt: iso(NOW - 1000),
  updatedAt: iso(NOW),
};

describe('documented answer shapes ⇄ the views the API writes', () => {
  it.each([
    ['an aggregating job', aggregating],
    ['a challenged job', challenged],
  ])('Job: %s', (_, value) => {
    expect(job.parse(jobView(value))).toBeDefined();
  });

  it('Webhook, with and without the secret', () => {
    const view = webhookView(webhook, NOW);
    expect(view).toHaveProperty('previous_secret_expires_at');
    expect(webhookSchema.parse(view)).toBeDefined();
    expect(webhookWithSecret.parse({ ...view, secret: 'whsec_abc' })).toBeDefined();
    expect(webhookSchema.parse(webhookView({ ...webhook, description: undefined, status: 'enabled' }, NOW))).toBeDefined();
  });

  it('Delivery and Attempt', () => {
    expect(delivery.parse(deliveryView(failed))).toBeDefined();
    expect(attempt.parse(attemptView({ at: iso(NOW), latencyMs: 3, statusCode: 204 }))).toBeDefined();
  });

  it('Problem', () => {
    const body = new HttpProblem('validation_failed', 'query.page: bad', { field: 'page', mxCode: 4001 }).toBody('req-1');
    expect(problem.parse(body)).toBeDefined();
  });

  it('webhook events, as serialized for delivery', () => {
    const rejected = rejectedEvent({ user_id: 'user-1', member_guid: 'MBR-1' }, 'sqs-1', 4030, NOW, testDigestKeys);
    for (const event of [
      startedEvent(aggregating, NOW),
      startedEvent(challenged, NOW),
      terminalEvent(challenged, NOW),
      rejected,
    ]) {
      expect(WEBHOOK_EVENTS[event.type]!.body.parse(JSON.parse(serializeEvent(event))), event.type).toBeDefined();
    }
    const test = serializeEvent({ type: TEST_EVENT_TYPE, timestamp: iso(NOW), data: { webhook_id: 'wh_abc' } });
    expect(WEBHOOK_EVENTS[TEST_EVENT_TYPE]!.body.parse(JSON.parse(test))).toBeDefined();
  });
});

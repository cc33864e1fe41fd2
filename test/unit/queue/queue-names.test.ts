import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../../lib/config/variables.ts';
import { METRICS } from '../../../lib/compositions/metric-catalogue.ts';
import {
  deadLetterUrlVariable,
  MX_WORK_QUEUES,
  QUEUE_NAMES,
  queueOfRecord,
  queueUrlVariable,
} from '../../../lib/queue/queue-names.ts';

describe('each queue has one name', () => {
  it.each(QUEUE_NAMES)('%s: its URL and its dead-letter queue’s are configuration variables named for it', (queue) => {
    expect(Object.keys(CONFIG_VARIABLES)).toEqual(
      expect.arrayContaining([queueUrlVariable(queue), deadLetterUrlVariable(queue)]),
    );
  });

  it('names the environment variables as the configuration documents them', () => {
    expect(QUEUE_NAMES.map(queueUrlVariable)).toEqual([
      'POLL_QUEUE_URL',
      'MEMBER_REPORTS_QUEUE_URL',
      'RECONCILE_QUEUE_URL',
      'ERASURES_QUEUE_URL',
      'DELIVERY_QUEUE_URL',
      'DELIVERY_SLOW_QUEUE_URL',
      'REFRESH_REQUESTS_QUEUE_URL',
    ]);
    expect(QUEUE_NAMES.map(deadLetterUrlVariable)).toEqual([
      'POLL_DLQ_URL',
      'MEMBER_REPORTS_DLQ_URL',
      'RECONCILE_DLQ_URL',
      'ERASURES_DLQ_URL',
      'DELIVERY_DLQ_URL',
      'DELIVERY_SLOW_DLQ_URL',
      'REFRESH_REQUESTS_DLQ_URL',
    ]);
  });

  it('knows which of the queues a function consumes a record came from, deployed or local', () => {
    const prefix = 'arn:aws:sqs:us-east-1:123456789012:';
    expect(queueOfRecord(`${prefix}nexus-relay-prod-member-reports`, MX_WORK_QUEUES)).toBe('member-reports');
    expect(queueOfRecord(`${prefix}nexus-relay-prod-reconcile`, MX_WORK_QUEUES)).toBe('reconcile');
    expect(queueOfRecord(`${prefix}nexus-relay-prod-poll`, MX_WORK_QUEUES)).toBe('poll');
    expect(queueOfRecord(`${prefix}member-reports`, MX_WORK_QUEUES)).toBe('member-reports');
    expect(queueOfRecord('', ['delivery'])).toBe('delivery');
  });

  it('is the `queue` dimension of the dead-letter metric', () => {
    expect(METRICS.MessagesDeadLettered.dimensions.queue).toBe(QUEUE_NAMES);
  });
});

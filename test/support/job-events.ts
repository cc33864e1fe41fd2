import type { JobStatus } from '../../lib/aggregation/job.ts';
import type { EventData } from '../../lib/notify/events.ts';

/** The `data` of an aggregation event about job `jobId`: what a publisher's test sends, whole. */
export function jobEventData(jobId: string, status: JobStatus = 'succeeded'): EventData<'aggregation.succeeded'> {
  const at = '2026-01-01T00:00:00.000Z';
  return {
    job: {
      id: jobId,
      user_id: 'user-1',
      member_guid: 'MBR-1',
      status,
      kind: 'aggregation',
      trigger: 'refresh',
      connection_status: status === 'succeeded' ? 'CONNECTED' : null,
      created_at: at,
      updated_at: at,
      finished_at: status === 'aggregating' ? null : at,
      polls: 1,
    },
    member: { guid: 'MBR-1' },
  };
}

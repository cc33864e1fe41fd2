import type { Delivery, Job, Webhook } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { usePolling } from './poll.ts';
import { hrefOf } from './route.ts';
import type { Signed } from './sign-in.tsx';
import { Empty, Loading, ProblemView, Status, time } from './ui.tsx';

interface TimelineEntry {
  at: string;
  what: string;
  status?: string;
  detail?: string;
  webhook?: string;
}

/** The webhook deliveries of one job, from each webhook's delivery log (their `webhook-id`s name the job). */
async function deliveriesOf(signed: Signed, job: Job): Promise<{ webhook: Webhook; delivery: Delivery }[]> {
  if (signed.scope !== 'server') return [];
  const found: { webhook: Webhook; delivery: Delivery }[] = [];
  for (const webhook of await signed.client.webhooks.list()) {
    const page = await signed.client.webhooks.deliveries(webhook.id, { since: job.created_at, limit: 100 }).firstPage();
    for (const delivery of page.items) if (delivery.msg_id.startsWith(`msg_${job.id}_`)) found.push({ webhook, delivery });
  }
  return found;
}

function timelineOf(job: Job, deliveries: { webhook: Webhook; delivery: Delivery }[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ at: job.created_at, what: `${job.kind} started`, status: 'aggregating' }];
  for (const { webhook, delivery } of deliveries) {
    const last = delivery.attempts.at(-1);
    entries.push({
      at: delivery.created_at,
      what: delivery.event_type,
      status: delivery.status,
      webhook: webhook.url,
      detail: `${delivery.attempt_count} attempt${delivery.attempt_count === 1 ? '' : 's'}${
        last ? `, last ${last.status_code ?? last.error ?? '?'} in ${last.latency_ms} ms` : ''
      }`,
    });
  }
  if (job.finished_at) entries.push({ at: job.finished_at, what: 'ended', status: job.status });
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

export function JobView({ signed, id }: { signed: Signed; id: string }) {
  const [job, setJob] = useState<Job | undefined>();
  const [deliveries, setDeliveries] = useState<{ webhook: Webhook; delivery: Delivery }[]>([]);
  const [error, setError] = useState<unknown>();

  const load = async (): Promise<boolean> => {
    try {
      const read = await signed.client.jobs.get(id);
      const found = await deliveriesOf(signed, read);
      const changed = JSON.stringify([read, found]) !== JSON.stringify([job, deliveries]);
      setJob(read);
      setDeliveries(found);
      setError(undefined);
      return changed;
    } catch (caught) {
      setError(caught);
      throw caught;
    }
  };
  useEffect(() => {
    setJob(undefined);
    void load().catch(() => {});
  }, [id]);
  // A finished job's last deliveries may still be on their way: keep looking while any is pending.
  const settling = job?.status === 'aggregating' || deliveries.some(({ delivery }) => delivery.status !== 'delivered');
  usePolling(load, job !== undefined && settling);

  return (
    <section aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="job-title">Job {id}</h1>
      {error !== undefined && <ProblemView error={error} />}
      {job === undefined && error === undefined && <Loading what="the job" />}
      {job && (
        <>
          <dl class="fields">
            <dt>Kind</dt>
            <dd>{job.kind}</dd>
            <dt>Status</dt>
            <dd>
              <Status value={job.status} />
            </dd>
            <dt>User</dt>
            <dd>
              <a href={hrefOf({ view: 'jobs', user: job.user_id })}>{job.user_id}</a> ·{' '}
              <a href={hrefOf({ view: 'members', user: job.user_id })}>members</a>
            </dd>
            <dt>Member</dt>
            <dd>
              <a href={hrefOf({ view: 'jobs', user: job.user_id, member: job.member_guid })}>{job.member_guid}</a>
            </dd>
            <dt>Connection</dt>
            <dd>{job.connection_status ?? '–'}</dd>
            <dt>Polls</dt>
            <dd>{job.polls}</dd>
            <dt>Started</dt>
            <dd>{time(job.created_at)}</dd>
            <dt>Finished</dt>
            <dd>{job.finished_at ? time(job.finished_at) : '–'}</dd>
          </dl>
          {job.status === 'action_required' && (job.challenges ?? []).length > 0 && (
            <>
              <h2>MX asks</h2>
              <ul>
                {(job.challenges ?? []).map((challenge) => (
                  <li key={challenge.guid}>
                    {challenge.label ?? challenge.type ?? 'challenge'} <code>{challenge.guid}</code>
                  </li>
                ))}
              </ul>
            </>
          )}
          <h2>Timeline</h2>
          {signed.scope !== 'server' && <Empty>Webhook deliveries are shown to server keys.</Empty>}
          <ol class="timeline">
            {timelineOf(job, deliveries).map((entry) => (
              <li key={`${entry.at}${entry.what}`}>
                <time dateTime={entry.at}>{time(entry.at)}</time> <strong>{entry.what}</strong>{' '}
                {entry.status && <Status value={entry.status} />}
                {entry.webhook && <span class="muted"> → {entry.webhook}</span>}
                {entry.detail && <span class="muted"> ({entry.detail})</span>}
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

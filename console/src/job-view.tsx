import type { Delivery, Job, Webhook } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { usePolling } from './poll.ts';
import { hrefOf, navigate } from './route.ts';
import type { Signed } from './sign-in.tsx';
import { Empty, Loading, Notice, ProblemView, Status, time, valueOf } from './ui.tsx';

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

/** An MFA question MX asked during the job, as this page saw it, and when it was answered here. */
interface Asked {
  at: string;
  label: string;
  answeredAt?: string;
}

function timelineOf(job: Job, deliveries: { webhook: Webhook; delivery: Delivery }[], asked: Asked[]): TimelineEntry[] {
  const entries: TimelineEntry[] = [{ at: job.created_at, what: `${job.kind} started`, status: 'aggregating' }];
  for (const question of asked) {
    entries.push({ at: question.at, what: `MX asked: ${question.label}`, status: 'action_required' });
    if (question.answeredAt) entries.push({ at: question.answeredAt, what: `answered: ${question.label}` });
  }
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
  /** MX's questions seen on this page: the job stops showing them once answered; its timeline keeps them. */
  const [asked, setAsked] = useState<Asked[]>([]);
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string | undefined>();

  const load = async (): Promise<boolean> => {
    try {
      const read = await signed.client.jobs.get(id);
      const questions = read.status === 'action_required' ? (read.challenges ?? []) : [];
      if (questions.length > 0) {
        setAsked((seen) => [
          ...seen,
          ...questions
            .map((challenge) => challenge.label ?? challenge.type ?? challenge.guid)
            .filter((label) => !seen.some((question) => question.label === label && !question.answeredAt))
            .map((label) => ({ at: read.finished_at ?? new Date().toISOString(), label })),
        ]);
      }
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
    setAsked([]);
    setNotice(undefined);
    void load().catch(() => {});
  }, [id]);

  /** Answers MX's questions: the same job goes on aggregating (PUT …/resume). */
  const answer = async (event: Event) => {
    event.preventDefault();
    if (!job) return;
    setBusy(true);
    setError(undefined);
    try {
      const challenges = (job.challenges ?? []).map((challenge) => ({
        guid: challenge.guid,
        value: answers[challenge.guid] ?? '',
      }));
      await signed.client.members.resume({ user_id: job.user_id, member_guid: job.member_guid, challenges });
      const at = new Date().toISOString();
      setAsked((seen) => seen.map((question) => (question.answeredAt ? question : { ...question, answeredAt: at })));
      setAnswers({});
      setNotice('Answered: MX goes on with the job.');
      await load();
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };

  /** A new aggregation of the member, opened as its own job. */
  const refreshAgain = async () => {
    if (!job) return;
    setBusy(true);
    setError(undefined);
    try {
      const next = await signed.client.members.refresh({ user_id: job.user_id, member_guid: job.member_guid });
      navigate({ view: 'job', id: next.id });
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  };
  // A finished job's last deliveries may still be on their way: keep looking while any is pending.
  const settling = job?.status === 'aggregating' || deliveries.some(({ delivery }) => delivery.status !== 'delivered');
  usePolling(load, job !== undefined && settling);

  return (
    <section aria-labelledby="job-title">
      <p>
        <a href="#/jobs">← Jobs</a>
      </p>
      <h1 id="job-title">Job {id}</h1>
      <Notice>{notice}</Notice>
      {error !== undefined && <ProblemView error={error} />}
      {job === undefined && error === undefined && <Loading what="the job" />}
      {job && (
        <>
          <dl class="fields">
            <dt>Kind</dt>
            <dd>{job.kind}</dd>
            <dt>Status</dt>
            <dd aria-live="polite">
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
          {/* A job waiting for an MFA answer is still the member's: a refresh would only rejoin it. */}
          {job.kind === 'aggregation' && job.status !== 'aggregating' && (job.challenges ?? []).length === 0 && (
            <p>
              <button type="button" onClick={() => void refreshAgain()} disabled={busy}>
                Refresh again
              </button>
            </p>
          )}
          {job.status === 'action_required' && (job.challenges ?? []).length > 0 && (
            <form class="answers" onSubmit={answer} aria-labelledby="asks-title">
              <h2 id="asks-title">MX asks</h2>
              {(job.challenges ?? []).map((challenge) => (
                <p key={challenge.guid}>
                  <label for={`answer-${challenge.guid}`}>{challenge.label ?? challenge.type ?? 'challenge'}</label>{' '}
                  <input
                    id={`answer-${challenge.guid}`}
                    autocomplete="off"
                    required
                    value={answers[challenge.guid] ?? ''}
                    onInput={(event) => setAnswers({ ...answers, [challenge.guid]: valueOf(event) })}
                  />{' '}
                  <code class="muted">{challenge.guid}</code>
                </p>
              ))}
              <button type="submit" disabled={busy}>
                Answer
              </button>
            </form>
          )}
          <h2>Timeline</h2>
          {signed.scope !== 'server' && <Empty>Webhook deliveries are shown to server keys.</Empty>}
          <ol class="timeline">
            {timelineOf(job, deliveries, asked).map((entry) => (
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

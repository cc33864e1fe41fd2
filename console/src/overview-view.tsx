import {
  type Delivery,
  deliveryHealth,
  type DeliveryHealth,
  type Job,
  type MemberNeedingUser,
  type OutcomeHour,
  type QueueState,
  type Webhook,
} from '@nexus-relay/client';
import { useEffect, useRef, useState } from 'preact/hooks';
import { settled, usePolling } from './poll.ts';
import { HourlyChart } from './hourly-chart.tsx';
import { attemptsByHour, type HourOfAttempts } from './delivery-hours.ts';
import { userActionOf } from './members.ts';
import { SuccessRateChart } from './success-rate-chart.tsx';
import { hrefOf } from './route.ts';
import type { Signed } from './sign-in.tsx';
import { type Column, Empty, ListTable, type ListTableProps, Loading, ProblemView, Status, time } from './ui.tsx';

interface Overview {
  attention: Job[];
  running: Job[];
  /** Members whose recorded connection status needs their user (outside a job too: MX's webhooks, the reconcile). */
  members: MemberNeedingUser[];
  /** Every webhook with the health of its recent log. */
  webhooks: (Webhook & { health: DeliveryHealth })[];
  failing: (Webhook & { health: DeliveryHealth })[];
  /** The work queues and the dead letters waiting in each. */
  queues: QueueState[];
  /** Every webhook's recent delivery attempts, by hour. */
  attempts: HourOfAttempts[];
  /** How many jobs ended in each outcome, by hour. */
  outcomes: OutcomeHour[];
}

/**
 * What an operator looks at first, across users: jobs that need someone, members needing their user, jobs running,
 * webhooks failing, dead letters.
 */
async function overviewOf(signed: Signed): Promise<Overview> {
  const [attention, running, members, queues, outcomes, webhooks] = await Promise.all([
    signed.client.jobs.acrossUsers({ state: 'attention' }),
    signed.client.jobs.acrossUsers({ state: 'running' }),
    signed.client.members.needingUser(),
    signed.client.queues.list(),
    signed.client.jobs.outcomes(),
    signed.client.webhooks.list(),
  ]);
  // One page (50) of each webhook's log: the health of the failing ones, and the hours of every attempt.
  const logs = await Promise.all(
    webhooks.map(async (webhook) => ({
      webhook,
      deliveries: (await signed.client.webhooks.deliveries(webhook.id, { limit: 50 }).firstPage()).items as Delivery[],
    })),
  );
  const withHealth = logs.map(({ webhook, deliveries }) => ({ ...webhook, health: deliveryHealth(deliveries) }));
  const failing = withHealth.filter((webhook) => webhook.status === 'enabled' && webhook.failing_since !== undefined);
  return {
    attention,
    running,
    members,
    webhooks: withHealth,
    failing,
    queues,
    outcomes,
    attempts: attemptsByHour(
      logs.flatMap(({ deliveries }) => deliveries),
      Date.now(),
    ),
  };
}

/** The next step for a job that needs someone, in the words an operator acts on. */
function nextStep(job: Job): string {
  if (job.status === 'action_required') {
    return (job.challenges ?? []).length > 0
      ? 'The user answers MX’s question (PUT …/resume)'
      : 'The user reconnects (a connect_widget with current_member_guid)';
  }
  if (job.status === 'timed_out') return 'MX did not finish in time: refresh again later';
  return 'Refresh again; if it fails again, the member needs its user';
}

/** A job's id, linked to the job. */
const jobCell: Column<Job> = {
  label: 'Job',
  cell: (job) => <a href={hrefOf({ view: 'job', id: job.id })}>{job.id}</a>,
};
/** A job's user, linked to the user's jobs. */
const jobUserCell: Column<Job> = {
  label: 'User',
  cell: (job) => <a href={hrefOf({ view: 'jobs', user: job.user_id })}>{job.user_id}</a>,
};

const ATTENTION: Column<Job>[] = [
  jobCell,
  jobUserCell,
  {
    label: 'Status',
    cell: (job) => (
      <>
        <Status value={job.status} />
        {job.connection_status && <span class="muted"> {job.connection_status}</span>}
      </>
    ),
  },
  {
    label: 'MX asks / next step',
    cell: (job) => (
      <>
        {(job.challenges ?? []).map((challenge) => (
          <div key={challenge.guid}>“{challenge.label ?? challenge.type ?? 'a question'}”</div>
        ))}
        <div class="muted">{nextStep(job)}</div>
      </>
    ),
  },
  { label: 'Ended', cell: (job) => (job.finished_at ? time(job.finished_at) : '–') },
];

const MEMBERS_NEEDING_USER: Column<MemberNeedingUser>[] = [
  {
    label: 'Member',
    cell: (member) => (
      <a href={hrefOf({ view: 'jobs', user: member.user_id, member: member.member_guid })}>{member.member_guid}</a>
    ),
  },
  {
    label: 'User',
    cell: (member) => <a href={hrefOf({ view: 'members', user: member.user_id })}>{member.user_id}</a>,
  },
  { label: 'Status', cell: (member) => <Status value={member.connection_status} /> },
  { label: 'Next step', class: 'muted wrap', cell: userActionOf },
  { label: 'Since', cell: (member) => time(member.needs_user_since) },
];

const RUNNING: Column<Job>[] = [
  jobCell,
  jobUserCell,
  { label: 'Member', cell: (job) => job.member_guid },
  { label: 'Started', cell: (job) => time(job.created_at) },
];

type FailingWebhook = Overview['failing'][number];
const FAILING: Column<FailingWebhook>[] = [
  {
    label: 'Webhook',
    cell: (webhook) => (
      <>
        <a href={hrefOf({ view: 'webhook', id: webhook.id })}>{webhook.id}</a>
        <div class="muted wrap">{webhook.url}</div>
      </>
    ),
  },
  { label: 'Failing since', cell: (webhook) => time(webhook.failing_since!) },
  {
    label: 'Last failure',
    class: 'wrap',
    cell: ({ health: { lastFailure } }) =>
      lastFailure ? `${lastFailure.outcome}${lastFailure.responseExcerpt ? `: ${lastFailure.responseExcerpt}` : ''}` : '–',
  },
  { label: 'Next attempt', cell: (webhook) => (webhook.health.nextAttemptAt ? time(webhook.health.nextAttemptAt) : '–') },
];

const QUEUES: Column<QueueState>[] = [
  { label: 'Queue', cell: (queue) => queue.name },
  {
    label: 'Dead letters',
    cell: (queue) => <Status value={String(queue.dead_letters)} tone={queue.dead_letters > 0 ? 'bad' : 'good'} />,
  },
  {
    label: 'Read and move them back',
    class: 'muted',
    cell: (queue) => (
      <>
        <code>dlq list {queue.name}</code>, once the cause is fixed <code>dlq redrive {queue.name} --all</code> (the CLI)
      </>
    ),
  },
];

/** A list of the overview under its title and count, or what its being empty means. */
function ListSection<T>({
  titleId,
  title,
  empty,
  ...table
}: { titleId: string; title: string; empty: string } & ListTableProps<T>) {
  return (
    <>
      <h2 id={titleId}>
        {title} ({table.rows.length})
      </h2>
      {table.rows.length === 0 ? <Empty>{empty}</Empty> : <ListTable labelledBy={titleId} {...table} />}
    </>
  );
}

/** Jobs, members and webhooks across users that need watching, each a link to its detail (server keys). */
export function OverviewView({ signed }: { signed: Signed }) {
  const [overview, setOverview] = useState<Overview | undefined>();
  const [error, setError] = useState<unknown>();
  const shown = useRef('');
  /** Reads the overview again; true when it changed (polling then looks again sooner). */
  const load = async (): Promise<boolean> => {
    try {
      const found = await overviewOf(signed);
      setError(undefined);
      const seen = JSON.stringify(found);
      if (seen === shown.current) return false;
      shown.current = seen;
      setOverview(found);
      return true;
    } catch (caught) {
      setError(caught);
      throw caught;
    }
  };
  useEffect(() => void load().catch(() => {}), []);
  // Live, as the Jobs view is: every few seconds while jobs run, less often when nothing moves.
  const running = (overview?.running.length ?? 0) > 0;
  usePolling(load, signed.scope === 'server' && !settled(error), { firstMs: 2_000, maxMs: running ? 3_000 : 15_000 });

  if (signed.scope !== 'server') {
    return (
      <section aria-labelledby="overview-title">
        <h1 id="overview-title">Overview</h1>
        <Empty>The overview across users needs a server key; this key is bound to one user (see Jobs).</Empty>
      </section>
    );
  }
  return (
    <section aria-labelledby="overview-title">
      <h1 id="overview-title">Overview</h1>
      <p>
        <button type="button" onClick={() => void load().catch(() => {})}>
          Reload
        </button>
      </p>
      {error !== undefined && <ProblemView error={error} />}
      {overview === undefined && error === undefined && <Loading what="the overview" />}
      {overview && (
        <>
          <h2>Webhook deliveries</h2>
          <HourlyChart
            name="attempts-chart"
            what="Attempts"
            hours={overview.attempts}
            series={[
              { key: 'delivered', label: 'delivered' },
              { key: 'failed', label: 'failed' },
            ]}
          />
          {overview.webhooks.length > 0 && <SuccessRateChart webhooks={overview.webhooks} />}
          <h2>Aggregation jobs</h2>
          <HourlyChart
            name="outcomes-chart"
            what="Jobs ended"
            hours={overview.outcomes}
            series={[
              { key: 'succeeded', label: 'succeeded' },
              { key: 'action_required', label: 'ended waiting for their user' },
              { key: 'failed', label: 'failed' },
              { key: 'timed_out', label: 'timed out' },
            ]}
          />
          <ListSection
            titleId="attention-title"
            title="Needs someone"
            empty="No job ended failed, timed out or waiting for its user in the last 30 days."
            rows={overview.attention}
            id={(job) => job.id}
            rowName="job"
            columns={ATTENTION}
          />
          <ListSection
            titleId="members-title"
            title="Members needing their user"
            empty="No member’s connection needs its user."
            rows={overview.members}
            id={(member) => member.member_guid}
            rowName="member"
            columns={MEMBERS_NEEDING_USER}
          />
          <ListSection
            titleId="running-title"
            title="Running now"
            empty="No aggregation is running."
            rows={overview.running}
            id={(job) => job.id}
            rowName="job"
            columns={RUNNING}
          />
          <ListSection
            titleId="failing-title"
            title="Failing webhooks"
            empty="Every enabled webhook’s endpoint is answering."
            rows={overview.failing}
            id={(webhook) => webhook.id}
            rowName="webhook"
            columns={FAILING}
          />
          <h2 id="queues-title">Dead letters</h2>
          <ListTable
            labelledBy="queues-title"
            rows={overview.queues}
            id={(queue) => queue.name}
            rowName="queue"
            columns={QUEUES}
          />
        </>
      )}
    </section>
  );
}

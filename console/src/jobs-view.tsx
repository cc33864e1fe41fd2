import type { Job, JobStatus } from '@nexus-relay/client';
import { useEffect, useState } from 'preact/hooks';
import { settled, usePolling } from './poll.ts';
import type { Signed } from './sign-in.tsx';
import { age, type Column, Empty, ListTable, Loading, ProblemView, Status, valueOf } from './ui.tsx';
import { hrefOf, navigate, type Route } from './route.ts';

const STATUSES: JobStatus[] = ['aggregating', 'succeeded', 'action_required', 'failed', 'timed_out'];

/** The jobs list's columns, ages as of `now`. */
const jobColumns = (now: number): Column<Job>[] => [
  { label: 'Job', cell: (job) => <a href={`#/jobs/${encodeURIComponent(job.id)}`}>{job.id}</a> },
  { label: 'User', cell: (job) => job.user_id },
  { label: 'Member', cell: (job) => job.member_guid },
  { label: 'Kind', cell: (job) => job.kind },
  { label: 'Status', cell: (job) => <Status value={job.status} /> },
  { label: 'Connection', cell: (job) => job.connection_status ?? '–' },
  { label: 'Polls', cell: (job) => job.polls },
  { label: 'Age', cell: (job) => age(job.created_at, now) },
];

/** A user's jobs, newest first (of one member when the route names it); jobs in flight update by themselves. */
export function JobsView({ signed, route }: { signed: Signed; route: Extract<Route, { view: 'jobs' }> }) {
  const [userInput, setUserInput] = useState(route.user ?? '');
  const [jobs, setJobs] = useState<Job[] | undefined>();
  const [next, setNext] = useState<string | undefined>();
  const [error, setError] = useState<unknown>();
  const [now, setNow] = useState(Date.now());

  const load = async (): Promise<boolean> => {
    if (!route.user) return false;
    try {
      const page = await signed.client.jobs.list({ user_id: route.user, limit: 50 }).firstPage();
      const changed = JSON.stringify(page.items) !== JSON.stringify(jobs);
      setJobs(page.items);
      setNext(page.next_cursor);
      setError(undefined);
      setNow(Date.now());
      return changed;
    } catch (caught) {
      setError(caught);
      throw caught;
    }
  };

  useEffect(() => {
    setJobs(undefined);
    setError(undefined);
    setUserInput(route.user ?? '');
    void load().catch(() => {});
  }, [route.user]);

  // New jobs appear and jobs in flight change without a reload: checked every few seconds, sooner while any runs.
  const inFlight = (jobs ?? []).some((job) => job.status === 'aggregating');
  usePolling(load, route.user !== undefined && !settled(error), { firstMs: 1_000, maxMs: inFlight ? 3_000 : 10_000 });

  const more = async () => {
    if (!route.user || !next) return;
    try {
      const page = await signed.client.jobs.list({ user_id: route.user, limit: 50, cursor: next }).firstPage();
      setJobs([...(jobs ?? []), ...page.items]);
      setNext(page.next_cursor);
    } catch (caught) {
      setError(caught);
    }
  };

  const shown = (jobs ?? []).filter(
    (job) => (!route.status || job.status === route.status) && (!route.member || job.member_guid === route.member),
  );
  return (
    <section aria-labelledby="jobs-title">
      <h1 id="jobs-title">Jobs</h1>
      <form
        class="filters"
        onSubmit={(event) => {
          event.preventDefault();
          const user = userInput.trim() || undefined;
          // Another user's jobs are not of this member.
          navigate({ view: 'jobs', user, member: user === route.user ? route.member : undefined, status: route.status });
        }}
      >
        <label for="user-id">User id</label>
        <input id="user-id" value={userInput} onInput={(event) => setUserInput(valueOf(event))} />
        <label for="status">Status</label>
        <select
          id="status"
          value={route.status ?? ''}
          onChange={(event) =>
            navigate({
              view: 'jobs',
              user: route.user,
              member: route.member,
              status: (valueOf(event) || undefined) as JobStatus,
            })
          }
        >
          <option value="">any</option>
          {STATUSES.map((status) => (
            <option value={status}>{status}</option>
          ))}
        </select>
        <button type="submit">Show</button>
        {route.user && <a href={hrefOf({ view: 'members', user: route.user })}>Members of {route.user}</a>}
      </form>
      {route.member && (
        <p class="muted">
          Member <code>{route.member}</code> only ·{' '}
          <a href={hrefOf({ view: 'jobs', user: route.user, status: route.status })}>every member</a>
        </p>
      )}
      {!route.user && <Empty>Enter a user id to see that user's jobs, newest first.</Empty>}
      {error !== undefined && <ProblemView error={error} />}
      {route.user && jobs === undefined && error === undefined && <Loading what="jobs" />}
      {jobs !== undefined && shown.length === 0 && (
        <Empty>
          No jobs{route.status ? ` ${route.status}` : ''} for {route.member ? `${route.member} of ${route.user}` : route.user}.
        </Empty>
      )}
      {shown.length > 0 && <ListTable rows={shown} id={(job) => job.id} rowName="job" columns={jobColumns(now)} />}
      {inFlight && (
        <p class="muted live" role="status">
          Jobs in flight update by themselves.
        </p>
      )}
      {next && (
        <button type="button" onClick={more}>
          Older jobs
        </button>
      )}
    </section>
  );
}

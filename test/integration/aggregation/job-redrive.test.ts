import { expect, it } from 'vitest';
import { type Job, newJobId } from '../../../lib/aggregation/job.ts';
import { JobsRepository } from '../../../lib/aggregation/jobs-repo.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/** The sweeper's re-drives, as dynalite records them on the job: counted at the step they re-drove, forgotten after. */
const local = useLocalEngines();
const T = Math.floor(Date.now() / 1000) * 1000;

const aggregating = (): Job => ({
  id: newJobId(T),
  userId: 'user-redrive',
  memberGuid: 'MBR-redrive',
  status: 'aggregating',
  kind: 'aggregation',
  trigger: 'refresh',
  connectionStatus: null,
  step: 2,
  polls: 2,
  pollErrors: 0,
  createdAt: T,
  updatedAt: T,
  deadlineAt: T + 1_200_000,
  nextPollAt: T + 3_000,
});

it('counts re-drives of the step the job is at, refuses one for a step it left, and forgets them at the next step', async () => {
  const jobs = new JobsRepository(local.table);
  const job = aggregating();
  await jobs.create(job);
  expect(await jobs.markRedriven(job, T + 200_000)).toBe(true);
  expect(await jobs.markRedriven(job, T + 400_000)).toBe(true);
  expect((await jobs.get(job.id))!.redrive).toEqual({ at: T + 400_000, count: 2 });
  expect(await jobs.markRedriven({ ...job, step: 1 }, T + 500_000)).toBe(false);

  expect(await jobs.advance(job.id, 2, { pollError: false, nextPollAt: T + 410_000, now: T + 405_000 })).toBe(true);
  expect((await jobs.get(job.id))!.redrive).toBeUndefined();
  expect(await jobs.markRedriven({ ...job, step: 3 }, T + 600_000)).toBe(true);
  expect(await jobs.finish(job.id, 3, { status: 'succeeded', polled: true, now: T + 610_000 })).toBe(true);
  const ended = (await jobs.get(job.id))!;
  expect(ended.redrive).toBeUndefined();
  // A lost terminal event is re-driven at the end's step, its status the terminal one.
  expect(await jobs.markRedriven(ended, T + 800_000)).toBe(true);
  expect((await jobs.get(job.id))!.redrive).toEqual({ at: T + 800_000, count: 1 });
});

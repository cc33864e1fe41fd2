import fc from 'fast-check';
import { expect, it } from 'vitest';
import { JOB_STATUSES, newJobId } from '../../../lib/aggregation/job.ts';
import { EVENT_ID_PATTERN, eventIds, isJobEventId, jobEventIds } from '../../../lib/events.ts';

const jobIds = fc.integer({ min: 0, max: 2 ** 45 }).map(newJobId);
const words = fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/);

it('property: every id a job derives is a job event id and a valid event id; an ended job has its end among them', () => {
  fc.assert(
    fc.property(jobIds, fc.nat(10_000), fc.constantFrom(...JOB_STATUSES), (id, step, status) => {
      const ids = jobEventIds({ id, step, status });
      for (const eventId of ids) {
        expect(isJobEventId(eventId), eventId).toBe(true);
        expect(eventId).toMatch(EVENT_ID_PATTERN);
      }
      expect(ids).toEqual(
        status === 'aggregating'
          ? [eventIds.started(id), eventIds.syncUpdates(id)]
          : [eventIds.started(id), eventIds.syncUpdates(id), eventIds.ended(id, step, status)],
      );
    }),
  );
});

it('property: no other event id is taken for a job’s, whatever the member guid or digest (a job-like one included)', () => {
  const guids = fc.oneof(words, jobIds);
  fc.assert(
    fc.property(guids, fc.nat(1_000), words, words, (guid, seq, status, digest) => {
      for (const id of [
        eventIds.statusChanged(guid, seq, status),
        eventIds.memberDeleted(guid),
        eventIds.userDeleted(digest),
        eventIds.rejected(digest, digest),
        eventIds.test(),
      ])
        expect(isJobEventId(id), id).toBe(false);
    }),
  );
});

import * as z from '../zod.ts';
import { InvalidCursorError } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../store/cursor.ts';
import { type UserJobsKey, userJobsKey } from './jobs-repo.ts';
import { JOB_ID_PATTERN } from './job.ts';

export const DEFAULT_JOBS_PAGE_SIZE = 25;
export const MAX_JOBS_PAGE_SIZE = 100;

/** `GET /users/{user_id}/jobs` query. */
export const jobsListQuery = z.strictObject({
  cursor: z.optional(z.string()),
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(MAX_JOBS_PAGE_SIZE)), DEFAULT_JOBS_PAGE_SIZE),
});

const keySchema = z.strictObject({ pk: z.string(), sk: z.string(), gsi2pk: z.string(), gsi2sk: z.string() });
/** `{created_at ISO}#{job_id}`. */
const SORT_KEY = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)#(.+)$/;

export const encodeJobsCursor = (key: UserJobsKey): string => encodeCursor({ ...key });

/** Accepted only as the list key of one of `userId`'s jobs: a cursor cannot reach another user's jobs. */
export function decodeJobsCursor(cursor: string, userId: string): UserJobsKey {
  const key = decodeCursor(cursor, keySchema);
  const [, createdAt, jobId] = SORT_KEY.exec(key.gsi2sk) ?? [];
  if (createdAt === undefined || jobId === undefined || !JOB_ID_PATTERN.test(jobId) || Number.isNaN(Date.parse(createdAt))) {
    throw new InvalidCursorError('not a cursor');
  }
  const expected = userJobsKey({ id: jobId, userId, createdAt: Date.parse(createdAt) });
  if (key.pk !== expected.pk || key.sk !== expected.sk || key.gsi2pk !== expected.gsi2pk || key.gsi2sk !== expected.gsi2sk) {
    throw new InvalidCursorError('it belongs to another list');
  }
  return expected;
}

import * as z from '../zod.ts';
import type { QueryName } from './nexus-params.ts';

export type NexusMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * One Nexus operation an app makes as a user, relayed through the user's MX session: the route, its validation, the
 * API document, the kit's types, the hostile-input suite and docs/api.md's coverage table all follow from it.
 *
 * @example
 * read('/goals/{goal_guid}', 'read-goal', 'Read a goal')
 */
export interface NexusOperation {
  method: NexusMethod;
  /** MX's path, served under `/users/{user_id}` (the MX session fixes the user). */
  path: string;
  /** MX's reference page: docs.mx.com/api-reference/nexus/reference/{ref}. */
  ref: string;
  summary: string;
  /** The query parameters MX documents for it, by name (nexus-params.ts). */
  query?: readonly QueryName[];
  /** The body MX takes: the fields MX documents checked, the rest passed on for MX to judge. */
  body?: z.ZodMiniType;
  /** Account numbers and owners: the most sensitive data the relay passes; kept nowhere. */
  sensitive?: true;
  deprecated?: true;
  /**
   * Where MX's call differs from the relay's route: a GET with `?name` MX serves as a POST search (`query` goes as
   * query, `body` builds MX's body from the rest), a path MX spells otherwise.
   */
  mx?: {
    method: NexusMethod;
    path: string;
    query?: readonly QueryName[];
    body?: (query: Record<string, unknown>) => unknown;
  };
}

export const read = (path: string, ref: string, summary: string, more: Partial<NexusOperation> = {}): NexusOperation => ({
  method: 'GET',
  path,
  ref,
  summary,
  ...more,
});

export const write = (
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  ref: string,
  summary: string,
  body?: z.ZodMiniType,
): NexusOperation => ({ method, path, ref, summary, ...(body ? { body } : {}) });

export const text = (max = 255) => z.string().check(z.minLength(1), z.maxLength(max));
export const note = text(10_000);
export const guid = (prefix: string) =>
  z.string().check(z.regex(new RegExp(`^${prefix}-[A-Za-z0-9-]{1,64}$`), `must be an MX ${prefix}-… guid`));
export const amount = z.number().check(z.refine(Number.isFinite, 'must be a finite number'));

/** `{ root: { …fields } }` as MX roots its bodies: the fields given are checked, others passed on. */
export const rooted = (root: string, fields: Record<string, z.ZodMiniType>) => z.strictObject({ [root]: z.looseObject(fields) });

/** Each field optional. */
export const optional = (fields: Record<string, z.ZodMiniType>) =>
  Object.fromEntries(Object.entries(fields).map(([name, schema]) => [name, z.optional(schema)]));

export const paged = { query: ['page', 'records_per_page'] } as const;
export const filtered = { query: ['page', 'records_per_page', 'use_case'] } as const;
export const dated = ['from_date', 'to_date'] as const;

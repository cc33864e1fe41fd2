import * as z from '../zod.ts';
import { describedAs } from './openapi/json-schemas.ts';
import { HttpProblem } from './problem.ts';

/** Names the offending field (`path.member_guid`, `body.url`). */
export type InputLocation = 'path' | 'query' | 'body';

/** Parses `value` with `schema` or throws a 400 problem naming the first offending field. */
export function parseInput<S extends z.ZodMiniType>(schema: S, value: unknown, location: InputLocation): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // An unknown key is reported on its parent object; name the key itself.
  const segments = issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path;
  const path = segments.map(String).join('.');
  const field = path === '' ? location : `${location}.${path}`;
  throw new HttpProblem('validation_failed', `${field}: ${issue.message}`, { field: path === '' ? location : path });
}

/** Query flags: absent → undefined, otherwise exactly `true` or `false`. */
export const booleanFlag = z.optional(
  z
    .pipe(
      z.enum(['true', 'false']),
      z.transform((v: 'true' | 'false') => v === 'true'),
    )
    .check(z.meta(describedAs({ type: 'boolean' }))),
);

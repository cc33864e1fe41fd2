import * as z from '../../zod.ts';
import { PROBLEMS, type ProblemCode } from '../problem.ts';

/* The shapes every part of the API answers with; a slice declares its own views' schemas beside them. */

export const problemSchema = z
  .strictObject({
    type: z.url(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.enum(Object.keys(PROBLEMS) as [ProblemCode, ...ProblemCode[]]),
    field: z.optional(z.string()).check(z.describe('The offending input, e.g. `member_guid`, `use_case`, `url`')),
    mx_code: z.optional(z.int()).check(z.describe("MX's own error code, when MX gave one")),
    request_id: z.optional(z.string()),
  })
  .check(z.meta({ id: 'Problem', description: 'RFC 9457 problem details' }));

export const mxBodySchema = z
  .looseObject({})
  .check(z.meta({ id: 'MxBody', description: "MX's body, passed through unchanged (lists carry MX's `pagination`)" }));

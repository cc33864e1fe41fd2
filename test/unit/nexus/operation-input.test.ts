import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HttpProblem } from '../../../lib/http/problem.ts';
import { NEXUS_OPERATIONS } from '../../../lib/nexus/nexus-operations.ts';
import type { NexusOperation } from '../../../lib/nexus/operation.ts';
import { operationSchemas, parseOperationInput } from '../../../lib/nexus/nexus-routes.ts';

const READS = NEXUS_OPERATIONS.filter((operation) => operation.method === 'GET');
const endpoint = (path: string): NexusOperation => READS.find((e) => e.path === path)!;
const parse = (path: string, pathParams: Record<string, string>, query: Record<string, string> = {}, body?: unknown) =>
  parseOperationInput(operationSchemas(endpoint(path)), { pathParams: { user_id: 'u1', ...pathParams }, query, body });

const problemOf = (fn: () => unknown): HttpProblem => {
  try {
    fn();
  } catch (error) {
    if (error instanceof HttpProblem) return error;
    throw error;
  }
  throw new Error('expected a problem');
};

describe('read input validation', () => {
  it('knows how to validate every path parameter of every read', () => {
    for (const e of READS) expect(() => operationSchemas(e)).not.toThrow();
  });

  it('passes valid input on to MX, without user_id', () => {
    expect(
      parse(
        '/transactions/by_top_level_category_guid/{top_level_category_guids}/by_date/{start_date}/{end_date}',
        { top_level_category_guids: 'CAT-1,CAT-2', start_date: '2026-01-01', end_date: '2026-01-31' },
        { page: '2', records_per_page: '10', use_case: 'PFM' },
      ),
    ).toEqual({
      userId: 'u1',
      params: { top_level_category_guids: 'CAT-1,CAT-2', start_date: '2026-01-01', end_date: '2026-01-31' },
      query: { page: 2, records_per_page: 10, use_case: 'PFM' },
    });
  });

  // MX's list transactions takes a window and accounts; without dates MX answers 120 days back to 5 ahead.
  it('takes the filters MX documents on a transactions list', () => {
    const query = { from_date: '2026-01-01', to_date: '2026-03-31', account_guid: 'ACT-1', account_guids: 'ACT-1,ACT-2' };
    expect(parse('/transactions', {}, query).query).toEqual({ ...query, account_guids: ['ACT-1', 'ACT-2'] });
    expect(parse('/accounts/{account_guid}/transactions', { account_guid: 'ACT-1' }, { from_date: '2026-01-01' }).query).toEqual({
      from_date: '2026-01-01',
    });
  });

  it.each([
    ['/transactions', {}, { from_date: '2026-03-02', to_date: '2026-03-01' }, 'to_date'],
    ['/transactions', {}, { account_guids: 'ACT-1,MBR-2' }, 'account_guids'],
    ['/transactions', {}, { from_date: '2026-13-01' }, 'from_date'],
    ['/beats/{beat_guid}', { beat_guid: 'SPL-1' }, {}, 'beat_guid'],
    [
      '/transactions/created_between/{start_date}/{end_date}',
      { start_date: '2026-02-30', end_date: '2026-03-01' },
      {},
      'start_date',
    ],
    [
      '/transactions/created_between/{start_date}/{end_date}',
      { start_date: '2026-03-02', end_date: '2026-03-01' },
      {},
      'end_date',
    ],
    ['/transactions', {}, { use_case: 'BOGUS' }, 'use_case'],
    ['/transactions', {}, { page: '0' }, 'page'],
    ['/transactions', {}, { records_per_page: '5' }, 'records_per_page'],
    ['/transactions', {}, { records_per_page: '1001' }, 'records_per_page'],
    ['/transactions', {}, { sort: 'asc' }, 'sort'],
    ['/spending_plans', {}, { use_case: 'PFM' }, 'use_case'],
    ['/members/{member_guid}', { member_guid: 'MBR-1' }, { page: '1' }, 'page'],
  ])('%s with %o %o → 400 naming %s', (path, pathParams, query, field) => {
    const problem = problemOf(() => parse(path, pathParams, query));
    expect(problem.status).toBe(400);
    expect(problem.field).toBe(field);
  });

  it('never lets a value that could change an MX path through', () => {
    const guidParams = READS.filter((e) => e.path.includes('{')).map((e) => e.path);
    fc.assert(
      fc.property(fc.constantFrom(...guidParams), fc.string({ unit: 'binary', maxLength: 80 }), (path, value) => {
        const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
        const pathParams = Object.fromEntries(names.map((name) => [name, value]));
        try {
          const input = parse(path, pathParams);
          // Unreserved URL characters only (institution codes carry `_`): nothing that could end or escape a segment.
          for (const accepted of Object.values(input.params)) expect(accepted).toMatch(/^[A-Za-z0-9,_-]+$/);
        } catch (error) {
          expect(error).toBeInstanceOf(HttpProblem);
        }
      }),
      { numRuns: 500 },
    );
  });
});

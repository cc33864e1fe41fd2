import { describe, expect, it } from 'vitest';
import { DEFAULT_AGGREGATION_SCRIPT } from '../../aggregation-script.ts';
import { MemberRegistry } from '../../members.ts';
import { MxError } from '../../mx-errors.ts';
import { filterByUseCase, parseDayRange, parseUseCaseFilter } from '../../read-filters.ts';

const badRequest = (message: string) => expect.objectContaining({ status: 400, code: 4001, message });

describe('parseUseCaseFilter', () => {
  it.each([
    ['', null],
    ['use_case=PFM', 'PFM'],
    ['use_case=MONEY_MOVEMENT', 'MONEY_MOVEMENT'],
  ])('%j → %j', (query, useCase) => {
    expect(parseUseCaseFilter(new URLSearchParams(query))).toBe(useCase);
  });

  it.each(['use_case=BOGUS', 'use_case=pfm', 'use_case='])('%j → 400', (query) => {
    expect(() => parseUseCaseFilter(new URLSearchParams(query))).toThrow(MxError);
  });
});

describe('filterByUseCase', () => {
  const registry = new MemberRegistry(() => 'USR-1');
  const put = (memberGuid: string, useCases: ('PFM' | 'MONEY_MOVEMENT')[] | null) =>
    registry.put({ userId: 'u', memberGuid, name: undefined, useCases, script: DEFAULT_AGGREGATION_SCRIPT });
  const members = [put('MBR-pfm', ['PFM']), put('MBR-mm', ['MONEY_MOVEMENT']), put('MBR-legacy', null)];
  const records = members.map((member) => ({ memberGuid: member.guid }));

  it('keeps everything without a filter, and members without use cases under any filter', () => {
    expect(filterByUseCase(records, members, null)).toEqual(records);
    expect(filterByUseCase(records, members, 'PFM').map((r) => r.memberGuid)).toEqual(['MBR-pfm', 'MBR-legacy']);
    expect(filterByUseCase(records, members, 'MONEY_MOVEMENT').map((r) => r.memberGuid)).toEqual(['MBR-mm', 'MBR-legacy']);
  });
});

describe('parseDayRange', () => {
  it('accepts real days, a single-day range included', () => {
    expect(parseDayRange('2026-03-01', '2026-06-30')).toEqual({ start: '2026-03-01', end: '2026-06-30' });
    expect(parseDayRange('2024-02-29', '2024-02-29')).toEqual({ start: '2024-02-29', end: '2024-02-29' });
  });

  it.each([
    ['2026-6-01', '2026-06-30', 'start_date'],
    ['2026-02-30', '2026-06-30', 'start_date'],
    ['20260601', '2026-06-30', 'start_date'],
    ['2026-06-01', '2026-13-01', 'end_date'],
    ['2026-06-01', '2026-06-01T00:00:00Z', 'end_date'],
    ['2026-06-01', undefined, 'end_date'],
  ])('%s / %s → 400 naming %s', (start, end, field) => {
    expect(() => parseDayRange(start, end)).toThrow(badRequest(expect.stringContaining(field)));
  });

  it('refuses a start after the end', () => {
    expect(() => parseDayRange('2026-06-02', '2026-06-01')).toThrow(badRequest('start_date must not be after end_date.'));
  });
});

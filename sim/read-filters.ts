import { type Day, parseDay } from './calendar.ts';
import { type SimMember, type UseCase, hasUseCase, isUseCase } from './members.ts';
import { MxError } from './mx-errors.ts';

/** The `use_case` query filter: null when absent, 400 when it is neither PFM nor MONEY_MOVEMENT. */
export function parseUseCaseFilter(query: URLSearchParams): UseCase | null {
  const useCase = query.get('use_case');
  if (useCase !== null && !isUseCase(useCase)) throw new MxError(400, 'use_case must be PFM or MONEY_MOVEMENT.');
  return useCase;
}

/** Keeps the records of members with `useCase` (members without use cases match any); no filter keeps all. */
export function filterByUseCase<T extends { memberGuid: string }>(
  records: readonly T[],
  members: readonly SimMember[],
  useCase: UseCase | null,
): T[] {
  if (useCase === null) return [...records];
  const kept = new Set(members.filter((member) => hasUseCase(member, useCase)).map((member) => member.guid));
  return records.filter((record) => kept.has(record.memberGuid));
}

/** An inclusive range of days. */
export interface DayRange {
  start: Day;
  end: Day;
}

/** `{start_date}/{end_date}` path parameters (or the query's `names`): 400 unless both are real `YYYY-MM-DD` days and start ≤ end. */
export function parseDayRange(
  startRaw: string | undefined,
  endRaw: string | undefined,
  names: readonly [string, string] = ['start_date', 'end_date'],
): DayRange {
  const start = parseDay(startRaw ?? '');
  if (start === null) throw new MxError(400, `${names[0]} must be a date written YYYY-MM-DD.`);
  const end = parseDay(endRaw ?? '');
  if (end === null) throw new MxError(400, `${names[1]} must be a date written YYYY-MM-DD.`);
  if (start > end) throw new MxError(400, `${names[0]} must not be after ${names[1]}.`);
  return { start, end };
}

export const isWithin = (day: Day, range: DayRange): boolean => day >= range.start && day <= range.end;

import { toIso } from './clock.ts';

/** A calendar day as Nexus writes it in paths and `date` fields: `YYYY-MM-DD`. Such strings sort chronologically. */
export type Day = string;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * The moment a simulator's seeded data is dated as of: the hour its clock started in, so its data is as recent as MX's
 * (a pending transaction days old, not months) and the same seed and start yield byte-identical bodies. No seeded
 * timestamp is later.
 */
export const dataAsOf = (startedAt: number): number => Math.floor(startedAt / HOUR_MS) * HOUR_MS;

/** How far back the seeded transaction history reaches, counting the day of the data's `asOf` as the first. */
export const HISTORY_DAYS = 120;

export const dayOf = (ms: number): Day => toIso(ms).slice(0, 10);

export const isoOrNull = (ms: number | null): string | null => (ms === null ? null : toIso(ms));

export const startOfDay = (day: Day): number => Date.parse(`${day}T00:00:00.000Z`);

/** `day` when it is a real calendar day written `YYYY-MM-DD`, else null (so `2026-02-30` is refused). */
export function parseDay(raw: string): Day | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) return null;
  const ms = startOfDay(raw);
  return Number.isNaN(ms) || dayOf(ms) !== raw ? null : raw;
}

/** The first and last day of the month `monthsBack` months before the month of `ms`. */
export function monthContaining(ms: number, monthsBack: number): { firstDay: Day; lastDay: Day } {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() - monthsBack;
  return { firstDay: dayOf(Date.UTC(year, month, 1)), lastDay: dayOf(Date.UTC(year, month + 1, 0)) };
}

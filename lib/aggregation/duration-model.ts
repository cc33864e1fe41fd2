import type { Member } from '../mx/member.ts';

/** What finished aggregations at one institution took: the quantiles the poll schedule aims at. */
export interface DurationModel {
  samples: number;
  p10Ms: number;
  p50Ms: number;
  p90Ms: number;
}

/** Below this many finished jobs an institution has no model and the schedule stays generic. */
export const MIN_SAMPLES = 3;

export function durationModel(durationsMs: readonly number[]): DurationModel | undefined {
  if (durationsMs.length < MIN_SAMPLES) return undefined;
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const quantile = (q: number) => {
    const position = (sorted.length - 1) * q;
    const low = Math.floor(position);
    const high = Math.ceil(position);
    return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low);
  };
  return { samples: sorted.length, p10Ms: quantile(0.1), p50Ms: quantile(0.5), p90Ms: quantile(0.9) };
}

/** The unit whose durations are learned. */
export const institutionOf = (member: Pick<Member, 'institution_guid' | 'institution_code'>): string | undefined =>
  member.institution_guid ?? member.institution_code ?? undefined;

/** From MX's own timestamps, so learned durations exclude our polling lag. Undefined when they are missing or inconsistent. */
export function mxAggregationMs(member: Pick<Member, 'aggregated_at' | 'successfully_aggregated_at'>): number | undefined {
  if (!member.aggregated_at || !member.successfully_aggregated_at) return undefined;
  const took = Date.parse(member.successfully_aggregated_at) - Date.parse(member.aggregated_at);
  return Number.isFinite(took) && took > 0 && took < 24 * 3600_000 ? took : undefined;
}

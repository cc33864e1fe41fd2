import { EVENT_TYPES } from './events.ts';

/** A webhook listens to exact event types, `*`, or a prefix wildcard such as `aggregation.*`. */
export const ALL_EVENTS = '*';

const prefixOf = (filter: string): string | undefined => (filter.endsWith('.*') ? filter.slice(0, -1) : undefined);

/** A filter is valid when it can match at least one known event type. */
export function isValidEventFilter(filter: string): boolean {
  if (filter === ALL_EVENTS) return true;
  const prefix = prefixOf(filter);
  return EVENT_TYPES.some((type) => (prefix === undefined ? type === filter : type.startsWith(prefix)));
}

export function matchesFilter(filter: string, eventType: string): boolean {
  if (filter === ALL_EVENTS) return true;
  const prefix = prefixOf(filter);
  return prefix === undefined ? filter === eventType : eventType.startsWith(prefix);
}

/** Whether any of the webhook's filters selects `eventType`. */
export const matches = (webhook: { eventTypes: readonly string[] }, eventType: string): boolean =>
  webhook.eventTypes.some((filter) => matchesFilter(filter, eventType));

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidEventFilter, matches, matchesFilter } from '../../../lib/notify/event-filter.ts';
import { EVENT_TYPES } from '../../../lib/notify/events.ts';

const eventType = fc.constantFrom(...EVENT_TYPES);
const filter = fc.oneof(eventType, fc.constant('*'), fc.constant('aggregation.*'));

describe('matches', () => {
  it('selects by exact type, `*` and prefix wildcard', () => {
    expect(matches({ eventTypes: ['aggregation.failed'] }, 'aggregation.failed')).toBe(true);
    expect(matches({ eventTypes: ['aggregation.failed'] }, 'aggregation.timed_out')).toBe(false);
    expect(matches({ eventTypes: ['*'] }, 'aggregation.started')).toBe(true);
    expect(matches({ eventTypes: ['aggregation.*'] }, 'aggregation.action_required')).toBe(true);
    expect(matches({ eventTypes: ['webhook.*'] }, 'aggregation.started')).toBe(false);
    expect(matches({ eventTypes: [] }, 'aggregation.started')).toBe(false);
  });

  it('`*` selects every type; an exact filter selects only its own type', () => {
    fc.assert(
      fc.property(eventType, eventType, (subscribed, published) => {
        expect(matches({ eventTypes: ['*'] }, published)).toBe(true);
        expect(matches({ eventTypes: [subscribed] }, published)).toBe(subscribed === published);
      }),
    );
  });

  it('a prefix wildcard selects exactly the types that start with its prefix', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}(\.[a-z]{1,8})?$/), fc.stringMatching(/^[a-z._]{1,20}$/), (prefix, type) => {
        expect(matchesFilter(`${prefix}.*`, type)).toBe(type.startsWith(`${prefix}.`));
      }),
    );
  });

  it('a list of filters selects a type when any one of them does, in any order', () => {
    fc.assert(
      fc.property(fc.array(filter, { maxLength: 6 }), eventType, (filters, type) => {
        const expected = filters.some((f) => matches({ eventTypes: [f] }, type));
        expect(matches({ eventTypes: filters }, type)).toBe(expected);
        expect(matches({ eventTypes: [...filters].reverse() }, type)).toBe(expected);
      }),
    );
  });
});

describe('isValidEventFilter', () => {
  it('accepts known types, `*` and wildcards that select a known type', () => {
    for (const type of EVENT_TYPES) expect(isValidEventFilter(type)).toBe(true);
    expect(isValidEventFilter('*')).toBe(true);
    expect(isValidEventFilter('aggregation.*')).toBe(true);
  });

  it('rejects unknown types and wildcards that select nothing', () => {
    for (const f of ['aggregation.unknown', 'webhook.*', 'aggregation*', '*.failed', '', 'aggregation.', '.*']) {
      expect(isValidEventFilter(f), f).toBe(false);
    }
  });

  it('accepts a filter exactly when it selects at least one known type', () => {
    fc.assert(
      fc.property(fc.oneof(filter, fc.string(), fc.stringMatching(/^[a-z_.]{0,24}\*?$/)), (f) => {
        expect(isValidEventFilter(f)).toBe(EVENT_TYPES.some((type) => matchesFilter(f, type)));
      }),
    );
  });
});

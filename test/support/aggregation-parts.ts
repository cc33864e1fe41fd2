import type { PollDeps } from '../../lib/aggregation/poll-service.ts';
import type { RefreshDeps } from '../../lib/aggregation/refresh-service.ts';
import { MIN_POLL_DELAY_SECONDS } from '../../lib/aggregation/poll-schedule.ts';

/**
 * The parts of a PollService a test does not look at, each doing nothing: no push coverage (dense polls), no hourly
 * counts, no member ledger, no history kept.
 */
export const idlePollParts: Pick<PollDeps, 'coverage' | 'outcomes' | 'ledger' | 'histories'> = {
  coverage: { covered: async () => false, recordEnd: async () => {} },
  outcomes: { count() {} },
  ledger: { jobEnded: async () => false },
  histories: { historyCompleted: async () => {} },
};

/** The first-poll planning of a RefreshService a test does not look at: no model, no push coverage, polls at 3 s. */
export const plainFirstPoll: Pick<RefreshDeps, 'timing' | 'coverage' | 'maxPollDelaySeconds'> = {
  timing: { model: async () => undefined },
  coverage: { covered: async () => false },
  maxPollDelaySeconds: MIN_POLL_DELAY_SECONDS,
};

import { describe, expect, it } from 'vitest';
import { ActiveJobsRepository } from '../../../lib/aggregation/active-jobs-repo.ts';
import { JobNotSupportedError, JobSupport } from '../../../lib/aggregation/job-support.ts';
import { JobsRepository } from '../../../lib/aggregation/jobs-repo.ts';
import {
  PFM_REFUSAL_TTL_MS,
  PfmRefusalsRepository,
  UseCaseNotPermittedError,
} from '../../../lib/aggregation/pfm-refusals-repo.ts';
import { RefreshService } from '../../../lib/aggregation/refresh-service.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import type { MetricsSink } from '../../../lib/metrics.ts';
import { MxError } from '../../../lib/mx/errors.ts';
import type { Member } from '../../../lib/mx/member.ts';
import type { Institution } from '../../../lib/mx/nexus-client.ts';
import type { DelayedQueue } from '../../../lib/queue/delayed-queue.ts';
import type { PollMessage } from '../../../lib/queue/poll-message.ts';
import { plainFirstPoll } from '../../support/aggregation-parts.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/**
 * What MX documents it would refuse, refused by the relay before MX is asked (over dynalite, an injected clock and
 * an MX that counts its calls): an aggregation of a member MX said has no PFM, for an hour; a premium job at an
 * institution MX lists without it.
 */
const local = useLocalEngines();

function setup(options: { forbidAggregate?: boolean; institution?: Partial<Institution> | 'unknown'; useCases?: string[] } = {}) {
  const clock = new ManualClock(Date.UTC(2026, 10, 26, 9));
  const calls: string[] = [];
  const refused: string[] = [];
  const member = (guid: string): Member =>
    ({ guid, connection_status: 'CONNECTED', is_being_aggregated: true, institution_guid: 'INS-1' }) as Member;
  const nexus = {
    async aggregateMember(_user: string, guid: string) {
      calls.push(`aggregate ${guid}`);
      if (options.forbidAggregate) {
        throw new MxError('MX_FORBIDDEN', 'MX answered 403', {
          method: 'GET',
          route: '/members/{member_guid}/aggregate',
          status: 403,
        });
      }
      return { member: member(guid), alreadyRunning: false };
    },
    async startPremiumJob(_user: string, guid: string, job: string) {
      calls.push(`${job} ${guid}`);
      return member(guid);
    },
    async readMember(_user: string, guid: string) {
      calls.push(`read ${guid}`);
      return {
        ...member(guid),
        is_being_aggregated: false,
        institution_code: 'iron_bank',
        use_cases: options.useCases ?? null,
      } as Member;
    },
    async readInstitution() {
      calls.push('institution');
      if (options.institution === 'unknown') {
        throw new MxError('MX_NOT_FOUND', 'MX answered 404', {
          method: 'GET',
          route: '/institutions/{institution_guid}',
          status: 404,
        });
      }
      return { code: 'iron_bank', ...options.institution } as Institution;
    },
  };
  const refusals = new PfmRefusalsRepository(local.table);
  const refresh = new RefreshService({
    metrics: {
      add: (name: string, _v: number, dims: { reason?: string }) => void (name === 'JobsRefused' && refused.push(dims.reason!)),
    } as unknown as MetricsSink,
    jobs: new JobsRepository(local.table),
    pointers: new ActiveJobsRepository(local.table),
    nexus,
    support: new JobSupport(nexus, clock),
    refusals,
    pollQueue: { schedule: async () => undefined } as unknown as DelayedQueue<PollMessage>,
    events: { publish: async () => undefined },
    clock,
    log: silentLog,
    deadlineSeconds: 1200,
    ...plainFirstPoll,
  });
  return { clock, refresh, refusals, calls, refused };
}

describe('refused before MX', () => {
  it('an aggregation MX refused for the use cases: refused for an hour, MX not asked; then MX is asked again', async () => {
    const { refresh, calls, clock, refused } = setup({ forbidAggregate: true });
    const request = { userId: 'user-mm', memberGuid: 'MBR-mm' };
    const aggregates = () => calls.filter((call) => call.startsWith('aggregate')).length;
    await expect(refresh.refresh(request)).rejects.toMatchObject({ code: 'MX_FORBIDDEN' });
    await expect(refresh.refresh(request)).rejects.toBeInstanceOf(UseCaseNotPermittedError);
    expect(aggregates()).toBe(1);
    expect(refused).toEqual(['no_pfm']);
    // Another user naming the member: nothing recorded for them.
    await expect(refresh.refresh({ userId: 'user-other', memberGuid: 'MBR-mm' })).rejects.toMatchObject({ code: 'MX_FORBIDDEN' });
    clock.advance(PFM_REFUSAL_TTL_MS);
    await expect(refresh.refresh(request)).rejects.toMatchObject({ code: 'MX_FORBIDDEN' });
    expect(aggregates()).toBe(3);
  });

  it('a member never seen is read first: its use cases without PFM refuse its first refresh, MX not asked to aggregate', async () => {
    const { refresh, calls, refused } = setup({ useCases: ['MONEY_MOVEMENT'] });
    const request = { userId: 'user-new', memberGuid: 'MBR-new' };
    await expect(refresh.refresh(request)).rejects.toBeInstanceOf(UseCaseNotPermittedError);
    await expect(refresh.refresh(request)).rejects.toBeInstanceOf(UseCaseNotPermittedError);
    expect(calls).toEqual(['read MBR-new']);
    expect(refused).toEqual(['no_pfm', 'no_pfm']);
  });

  it('a member given PFM through the relay is asked of MX again at once', async () => {
    const { refresh, refusals, calls, clock } = setup();
    const request = { userId: 'user-pfm', memberGuid: 'MBR-pfm' };
    await refusals.record(request, clock.now());
    await expect(refresh.refresh(request)).rejects.toBeInstanceOf(UseCaseNotPermittedError);
    await refusals.clear(request);
    await expect(refresh.refresh(request)).resolves.toMatchObject({ joined: false });
    expect(calls).toEqual(['read MBR-pfm', 'aggregate MBR-pfm']);
  });

  it('a premium job the institution lacks; a known flag decides, an unknown one leaves it to MX', async () => {
    const iron = setup({ institution: { supports_account_verification: false, supports_transaction_history: true } });
    const error = await iron.refresh.refresh({ userId: 'u1', memberGuid: 'MBR-1', kind: 'verification' }).catch((e) => e);
    expect(error).toBeInstanceOf(JobNotSupportedError);
    expect(error).toMatchObject({ field: 'supports_account_verification', message: expect.stringContaining('iron_bank') });
    expect(iron.refused).toEqual(['not_supported']);
    // The institution is read once an hour per container, whatever the job.
    await expect(iron.refresh.refresh({ userId: 'u1', memberGuid: 'MBR-2', kind: 'history' })).resolves.toMatchObject({
      job: { kind: 'history' },
    });
    expect(iron.calls).toEqual(['read MBR-1', 'institution', 'read MBR-2', 'extend_history MBR-2']);

    const unknown = setup({ institution: 'unknown' });
    await expect(unknown.refresh.refresh({ userId: 'u1', memberGuid: 'MBR-3', kind: 'identification' })).resolves.toMatchObject({
      job: { kind: 'identification' },
    });
    const silent = setup({ institution: {} });
    await expect(silent.refresh.refresh({ userId: 'u1', memberGuid: 'MBR-4', kind: 'verification' })).resolves.toBeDefined();
  });
});

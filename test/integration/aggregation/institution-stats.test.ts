import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { InstitutionTiming } from '../../../lib/aggregation/institution-timing.ts';
import { ManualClock } from '../../../lib/clock.ts';
import { silentLog } from '../../../lib/logger.ts';
import {
  InstitutionStatsRepository,
  KEPT_DURATIONS,
  MAX_PENDING_MS,
  REPLACE_BATCH,
} from '../../../lib/aggregation/institution-stats-repo.ts';
import { keys, type TableRef } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';

/** A seeded uniform draw in [0, 1) (an LCG): the slots replaced are the same every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    return state / 4_294_967_296;
  };
}

/** Counts the table calls a repository makes, by command, and the conditional writes that failed. */
function counted(table: TableRef) {
  const counts = { GetItemCommand: 0, UpdateItemCommand: 0, PutItemCommand: 0, failedConditions: 0 };
  const client = table.client;
  const send = client.send.bind(client);
  const wrapped = {
    tableName: table.tableName,
    client: Object.assign(Object.create(client) as typeof client, {
      send: async (command: { constructor: { name: string } }) => {
        const name = command.constructor.name.replace(/Command$/, 'ItemCommand') as keyof typeof counts;
        if (name in counts) counts[name] += 1;
        try {
          return await (send as (c: unknown) => Promise<unknown>)(command);
        } catch (error) {
          if ((error as Error).name === 'ConditionalCheckFailedException') counts.failedConditions += 1;
          throw error;
        }
      },
    }),
  } as TableRef;
  return { table: wrapped, counts };
}

describe('InstitutionStatsRepository (dynalite, concurrent writers)', () => {
  const local = useLocalEngines();
  const stored = async (institution: string) =>
    (
      await local.table.client.send(
        new GetCommand({ TableName: local.table.tableName, Key: keys.institutionStats(institution), ConsistentRead: true }),
      )
    ).Item as { durations_ms: number[]; version: number; updated_at: number };

  /** `writers` containers (a repository each) record `samples` durations at once; sample i is 1000 + i. */
  async function recordConcurrently(institution: string, writers: number, samples: number, random = seededRandom(7)) {
    const containers = Array.from({ length: writers }, () => counted(local.table));
    const repos = containers.map(({ table }) => new InstitutionStatsRepository(table, random));
    await Promise.all(
      Array.from({ length: samples }, (_, i) => repos[i % writers]!.record(institution, 1000 + i + 0.4, 1_700_000_000_000 + i)),
    );
    // What each container still holds for a full list is written now, as a container that goes on recording would.
    await Promise.all(repos.map((repo) => repo.flush(1_700_000_000_000 + samples)));
    const total = (key: keyof (typeof containers)[number]['counts']) => containers.reduce((n, c) => n + c.counts[key], 0);
    return {
      reads: total('GetItemCommand'),
      updates: total('UpdateItemCommand'),
      puts: total('PutItemCommand'),
      failed: total('failedConditions'),
    };
  }

  it('keeps every sample of concurrent writers while the list has room, with one write each and no read', async () => {
    const institution = `INS-${randomUUID()}`;
    const samples = KEPT_DURATIONS - 2;

    const calls = await recordConcurrently(institution, 8, samples);

    const item = await stored(institution);
    expect([...item.durations_ms].sort((a, b) => a - b)).toEqual(Array.from({ length: samples }, (_, i) => 1000 + i));
    expect(item.version).toBe(samples);
    expect(calls).toEqual({ reads: 0, updates: samples, puts: 0, failed: 0 });
  });

  it('under 400 concurrent samples from 8 writers loses no write: a full list of 50 recorded samples, version 400', async () => {
    const institution = `INS-${randomUUID()}`;

    const calls = await recordConcurrently(institution, 8, 400);

    const item = await stored(institution);
    expect(item.durations_ms).toHaveLength(KEPT_DURATIONS);
    expect(new Set(item.durations_ms).size).toBe(KEPT_DURATIONS); // every slot holds a different sample
    for (const duration of item.durations_ms) expect(duration).toBeGreaterThanOrEqual(1000);
    for (const duration of item.durations_ms) expect(duration).toBeLessThan(1400);
    expect(item.version).toBe(400); // every sample landed exactly once
    expect(calls.reads).toBe(0);
    // All 400 were sent before any answered: each write not among the first 50 fails its append once (at most),
    // then replaces a slot — never a retry loop; what came after a container saw the list full went in batches.
    expect(calls.updates).toBeLessThanOrEqual(400 + calls.failed);
    expect(calls.failed).toBeLessThanOrEqual(400 - KEPT_DURATIONS);
  });

  it('once a container has seen the list full, it writes its samples eight to a write, each to a slot: no failed condition', async () => {
    const institution = `INS-${randomUUID()}`;
    const { table, counts } = counted(local.table);
    const repo = new InstitutionStatsRepository(table, seededRandom(3));
    for (let i = 0; i < KEPT_DURATIONS; i++) await repo.record(institution, 1000 + i, i);
    await Promise.all(Array.from({ length: 100 }, (_, i) => repo.record(institution, 2000 + i, 100 + i)));

    const batches = Math.floor(100 / REPLACE_BATCH);
    expect(counts).toEqual({
      GetItemCommand: 0,
      UpdateItemCommand: KEPT_DURATIONS + batches,
      PutItemCommand: 0,
      failedConditions: 0,
    });
    expect((await stored(institution)).version).toBe(KEPT_DURATIONS + batches * REPLACE_BATCH);

    // The 4 left over are held until the next write, or a flush.
    await repo.flush(200);
    expect(counts.UpdateItemCommand).toBe(KEPT_DURATIONS + batches + 1);
    const item = await stored(institution);
    expect(item.version).toBe(KEPT_DURATIONS + 100);
    expect(item.durations_ms).toHaveLength(KEPT_DURATIONS);
  });

  it('writes what a container holds once the oldest has waited MAX_PENDING_MS, however few', async () => {
    const institution = `INS-${randomUUID()}`;
    const { table, counts } = counted(local.table);
    const repo = new InstitutionStatsRepository(table, seededRandom(5));
    for (let i = 0; i < KEPT_DURATIONS; i++) await repo.record(institution, 1000 + i, i);
    await repo.record(institution, 3001, 1_000);
    await repo.record(institution, 3002, 1_000 + MAX_PENDING_MS - 1);
    expect(counts.UpdateItemCommand).toBe(KEPT_DURATIONS);

    await repo.record(institution, 3003, 1_000 + MAX_PENDING_MS);

    expect(counts.UpdateItemCommand).toBe(KEPT_DURATIONS + 1);
    const item = await stored(institution);
    expect(item.version).toBe(KEPT_DURATIONS + 3);
    expect(item.durations_ms.filter((duration) => duration > 3000).sort()).toEqual([3001, 3002, 3003]);
  });

  it('once full, writes each sample over a random slot (the injected draw), a taken slot moving to the next, and leaves the rest alone', async () => {
    const institution = `INS-${randomUUID()}`;
    const draws = [0.5, 0, 0.999, 0.5];
    const repo = new InstitutionStatsRepository(local.table, () => draws.shift()!);
    for (let i = 0; i < KEPT_DURATIONS; i++) await repo.record(institution, i, i);
    const before = (await stored(institution)).durations_ms;

    await repo.record(institution, 7001, 100);
    await repo.record(institution, 7002, 101);
    await repo.record(institution, 7003, 102);
    await repo.record(institution, 7004, 103);
    expect((await stored(institution)).durations_ms).toEqual(before); // held: fewer than REPLACE_BATCH
    await repo.flush(104);

    const after = await stored(institution);
    const expected = [...before];
    expected[25] = 7001;
    expected[0] = 7002;
    expected[49] = 7003;
    expected[26] = 7004; // drew 25 again
    expect(after.durations_ms).toEqual(expected);
    expect(after.version).toBe(KEPT_DURATIONS + 4);
    expect(after.updated_at).toBe(104);
  });

  it('takes over an item written by the read-modify-write version (version-locked put) and keeps its samples', async () => {
    const institution = `INS-${randomUUID()}`;
    await local.table.client.send(
      new PutCommand({
        TableName: local.table.tableName,
        Item: { ...keys.institutionStats(institution), durations_ms: [5000, 6000], version: 2, updated_at: 1 },
      }),
    );

    await new InstitutionStatsRepository(local.table).record(institution, 7000, 2);

    expect(await stored(institution)).toMatchObject({ durations_ms: [5000, 6000, 7000], version: 3, updated_at: 2 });
  });

  it('feeds InstitutionTiming: its model comes from what concurrent workers recorded', async () => {
    const institution = `INS-${randomUUID()}`;
    const clock = new ManualClock(1_700_000_000_000);
    const timings = Array.from(
      { length: 4 },
      () => new InstitutionTiming(new InstitutionStatsRepository(local.table), clock, silentLog),
    );
    const member = { guid: 'MBR-1', institution_guid: institution } as Parameters<InstitutionTiming['model']>[0];

    await Promise.all([10, 20, 30, 40, 50].map((seconds, i) => timings[i % 4]!.learn(member, seconds * 1000)));

    expect(await timings[0]!.model(member)).toEqual({ samples: 5, p10Ms: 14_000, p50Ms: 30_000, p90Ms: 46_000 });
  });
});

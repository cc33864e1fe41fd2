import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { type DataKeySource, SecretBox, sealedFor } from '../../../lib/secret-box.ts';
import { FLEET_KEY_HOUR_MS, FleetDataKeys } from '../../../lib/store/fleet-data-keys.ts';
import { keys, type TableRef } from '../../../lib/store/table.ts';
import { useLocalEngines } from '../../support/local-table.ts';
import { countingKeys } from '../../support/session-box.ts';

const sealedKeyOf = (sealed: string) => sealed.split('.')[1];

describe('FleetDataKeys: one session data key an hour for every container (dynalite)', () => {
  const local = useLocalEngines();
  const taken: string[] = [];
  const fleet = (kms: DataKeySource, purpose: string, clock: ManualClock, table: TableRef = local.table) =>
    new SecretBox(new FleetDataKeys(kms, table, { purpose, clock, onKey: (outcome) => taken.push(outcome) }), clock, {
      openedKeyTtlMs: 2 * FLEET_KEY_HOUR_MS,
    });
  const stored = async (purpose: string) =>
    (
      await local.table.client.send(
        new QueryCommand({
          TableName: local.table.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.fleetDataKey(purpose, '').pk },
        }),
      )
    ).Items ?? [];

  it('containers racing at the hour seal under one key, and each opens the others’ values without KMS', async () => {
    const purpose = `mx-session-token-${randomUUID()}`;
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 14, 0, 0));
    const { source, calls } = countingKeys();
    const containers = Array.from({ length: 8 }, () => fleet(source, purpose, clock));
    taken.length = 0;
    const sealed = await Promise.all(containers.map((box, i) => box.seal(`token-${i}`, sealedFor.session(`user-${i}`))));
    // Its metric: one container made the hour's key, each other opened it.
    expect(taken.toSorted()).toEqual(['made', ...Array.from({ length: 7 }, () => 'opened')]);

    expect(new Set(sealed.map(sealedKeyOf)).size).toBe(1);
    const items = await stored(purpose);
    expect(items.map((item) => item.sk)).toEqual(['2026-11-29T14']);
    // Only KMS's encrypted key is stored, kept a day past its hour.
    expect(Buffer.from(items[0]!.encrypted_key as Uint8Array).toString('base64url')).toBe(sealedKeyOf(sealed[0]!));
    expect(items[0]!.ttl).toBe(Date.UTC(2026, 10, 30, 15) / 1000);
    // A container's KMS requests: a key made, or the winner's opened, or both for a loser of the race to store it.
    expect(calls.generate + calls.decrypt).toBeLessThanOrEqual(2 * containers.length);

    const before = { ...calls };
    for (const [i, box] of containers.entries()) {
      for (const [j, value] of sealed.entries()) {
        await expect(box.open(value, sealedFor.session(`user-${j}`))).resolves.toBe(`token-${j}`);
      }
      await expect(box.open(sealed[(i + 1) % sealed.length]!, sealedFor.session(`user-${i}`))).rejects.toThrow('opened');
    }
    expect(calls).toEqual(before);
  });

  it('a new hour makes a new key; a container new to the last hour opens its values with one Decrypt for all', async () => {
    const purpose = `mx-session-token-${randomUUID()}`;
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 14, 59, 59));
    const { source, calls } = countingKeys();
    // Three containers seal in the hour's last second (each its own box: one key among them only through the table).
    const earlier = await Promise.all(
      ['a', 'b', 'c'].map((user) => fleet(source, purpose, clock).seal(`token-${user}`, sealedFor.session(user))),
    );
    clock.advance(1_000);
    const later = await fleet(source, purpose, clock).seal('token-d', sealedFor.session('d'));
    expect(sealedKeyOf(later)).not.toBe(sealedKeyOf(earlier[0]!));
    expect((await stored(purpose)).map((item) => item.sk)).toEqual(['2026-11-29T14', '2026-11-29T15']);

    const reader = fleet(source, purpose, clock);
    const before = calls.decrypt;
    for (const [i, user] of ['a', 'b', 'c'].entries()) {
      await expect(reader.open(earlier[i]!, sealedFor.session(user))).resolves.toBe(`token-${user}`);
    }
    expect(calls.decrypt - before).toBe(1);
    // Its opened key is kept two hours, as long as a session sealed in the hour may be used.
    clock.advance(2 * FLEET_KEY_HOUR_MS - 2_000);
    await expect(reader.open(earlier[0]!, sealedFor.session('a'))).resolves.toBe('token-a');
    expect(calls.decrypt - before).toBe(1);
  });

  it('a stored key that does not open (its KMS key changed within the hour) leaves a container its own, not no seal', async () => {
    const purpose = `mx-session-token-${randomUUID()}`;
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 17));
    const before = await fleet(countingKeys().source, purpose, clock).seal('token-f', sealedFor.session('f'));
    // Another master key, refusing the stored ciphertext as KMS does.
    const { source: other } = countingKeys();
    const rotated: DataKeySource = {
      generate: () => other.generate(),
      decrypt: (encrypted) =>
        other.decrypt(encrypted).catch((cause: unknown) => {
          throw Object.assign(new Error('refused', { cause }), { name: 'InvalidCiphertextException' });
        }),
    };
    taken.length = 0;
    const box = fleet(rotated, purpose, clock);
    const sealed = await box.seal('token-g', sealedFor.session('g'));
    expect(taken).toEqual(['own']);
    expect(sealedKeyOf(sealed)).not.toBe(sealedKeyOf(before));
    await expect(box.open(sealed, sealedFor.session('g'))).resolves.toBe('token-g');
  });

  it('a key lost as it was stored (the race lost to an item no longer there) leaves a container its own', async () => {
    const purpose = `mx-session-token-${randomUUID()}`;
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 18));
    const { source } = countingKeys();
    // The table refuses the put as if another container had stored first, and then holds nothing.
    const refused = new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
    const send = ((command: unknown) =>
      command instanceof PutCommand
        ? Promise.reject(refused)
        : local.table.client.send(command as never)) as TableRef['client']['send'];
    taken.length = 0;
    const box = fleet(source, purpose, clock, { tableName: local.table.tableName, client: { send } as TableRef['client'] });
    const sealed = await box.seal('token-h', sealedFor.session('h'));
    expect(taken).toEqual(['own']);
    await expect(box.open(sealed, sealedFor.session('h'))).resolves.toBe('token-h');
  });

  it('a seal fails while the table cannot be reached, and the next one asks again', async () => {
    const purpose = `mx-session-token-${randomUUID()}`;
    const clock = new ManualClock(Date.UTC(2026, 10, 29, 16));
    const { source } = countingKeys();
    const table = { client: local.table.client, tableName: `absent-${randomUUID()}` };
    const box = fleet(source, purpose, clock, table);
    await expect(box.seal('token', sealedFor.session('e'))).rejects.toThrow();
    table.tableName = local.table.tableName;
    const sealed = await box.seal('token', sealedFor.session('e'));
    expect(sealedKeyOf(sealed)).toBe(Buffer.from((await stored(purpose))[0]!.encrypted_key as Uint8Array).toString('base64url'));
  });
});

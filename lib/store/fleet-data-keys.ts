import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Clock, toEpochSeconds } from '../clock.ts';
import type { DataKey, DataKeySource } from '../secret-box.ts';
import { conditionalWrite, keys, type TableRef } from './table.ts';

export const FLEET_KEY_HOUR_MS = 3_600_000;
/** KMS's (and the local key's) answers for a ciphertext that will never open here. */
const INVALID_CIPHERTEXT = new Set(['InvalidCiphertextException', 'IncorrectKeyException', 'NotFoundException']);
/** Values sealed under an hour's key carry it (encrypted) themselves: the item only shares it while the hour lasts. */
const FLEET_KEY_KEPT_MS = 24 * FLEET_KEY_HOUR_MS;

/** How a container took an hour's key: made it (and stored it), opened the stored one, or sealed under its own. */
export type FleetKeyOutcome = 'made' | 'opened' | 'own';

/** A stored hour's key that does not open here (its KMS key changed within the hour), or vanished as it was stored. */
const UNUSABLE = Symbol('unusable');

/**
 * One data key per purpose and hour for every container (decision 0038): the first to seal in an hour asks `keys` for
 * one and stores it encrypted (`DATAKEY#{purpose}`), the others open that one, so a session sealed by one container opens
 * in another whose cache already holds the hour's key instead of costing a KMS Decrypt each.
 *
 * @example
 * const box = new SecretBox(new FleetDataKeys(new KmsDataKeys(arn, { region, purpose }), table, { purpose, clock }), clock, {
 *   openedKeyTtlMs: 2 * FLEET_KEY_HOUR_MS,
 * });
 */
export class FleetDataKeys implements DataKeySource {
  readonly #keys: DataKeySource;
  readonly #table: TableRef;
  readonly #purpose: string;
  readonly #clock: Clock;
  readonly #onKey: (outcome: FleetKeyOutcome) => void;
  #current: { hour: number; key: DataKey } | undefined;

  /** `onKey`: told each time this container takes an hour's key (its metric). */
  constructor(
    keys: DataKeySource,
    table: TableRef,
    options: { purpose: string; clock: Clock; onKey?: (outcome: FleetKeyOutcome) => void },
  ) {
    this.#keys = keys;
    this.#table = table;
    this.#purpose = options.purpose;
    this.#clock = options.clock;
    this.#onKey = options.onKey ?? (() => {});
  }

  /**
   * The hour's key: this container's, the table's (opened), or a new one stored for the others. A stored key that does
   * not open cannot be replaced until the hour ends: this container seals under a key of its own meanwhile, and asks
   * again in 5 minutes (SecretBox's DATA_KEY_TTL_MS).
   */
  async generate(): Promise<DataKey> {
    const hour = Math.floor(this.#clock.now() / FLEET_KEY_HOUR_MS);
    if (this.#current?.hour === hour) return this.#current.key;
    const key = (await this.#stored(hour)) ?? (await this.#store(hour));
    if (key === UNUSABLE) {
      this.#onKey('own');
      return this.#keys.generate();
    }
    this.#current = { hour, key };
    return key;
  }

  decrypt(encrypted: Uint8Array): Promise<Uint8Array> {
    return this.#keys.decrypt(encrypted);
  }

  #item(hour: number) {
    return keys.fleetDataKey(this.#purpose, new Date(hour * FLEET_KEY_HOUR_MS).toISOString().slice(0, 13));
  }

  async #stored(hour: number): Promise<DataKey | typeof UNUSABLE | undefined> {
    const { Item } = await this.#table.client.send(
      new GetCommand({ TableName: this.#table.tableName, Key: this.#item(hour), ConsistentRead: true }),
    );
    if (!Item) return undefined;
    if (!(Item.encrypted_key instanceof Uint8Array)) return UNUSABLE;
    let plaintext: Uint8Array;
    try {
      plaintext = await this.#keys.decrypt(Item.encrypted_key);
    } catch (error) {
      // KMS refusing this ciphertext (another key, or altered): a KMS outage fails the seal as before.
      if (error instanceof Error && INVALID_CIPHERTEXT.has(error.name)) return UNUSABLE;
      throw error;
    }
    this.#onKey('opened');
    return { plaintext, encrypted: Item.encrypted_key };
  }

  /** A container that loses the race to store the hour's key takes the winner's. */
  async #store(hour: number): Promise<DataKey | typeof UNUSABLE> {
    const made = await this.#keys.generate();
    const stored = await conditionalWrite(
      this.#table.client.send(
        new PutCommand({
          TableName: this.#table.tableName,
          Item: {
            ...this.#item(hour),
            encrypted_key: made.encrypted,
            ttl: toEpochSeconds((hour + 1) * FLEET_KEY_HOUR_MS + FLEET_KEY_KEPT_MS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
    if (stored) {
      this.#onKey('made');
      return made;
    }
    return (await this.#stored(hour)) ?? UNUSABLE;
  }
}

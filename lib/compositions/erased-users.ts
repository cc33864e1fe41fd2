import { ErasedUsers, ErasedUsersRepository } from '../connect/erased-users.ts';
import type { TableRef } from '../store/table.ts';
import { digestKeysOf } from './digest-keys.ts';
import type { Runtime } from './runtime.ts';

/** Which users were erased, as this container sees them (lib/connect/erased-users.ts). */
export function erasedUsersOf(runtime: Runtime, table: TableRef): ErasedUsers {
  const { clock } = runtime;
  return new ErasedUsers(new ErasedUsersRepository(table, clock, digestKeysOf(runtime)), clock);
}

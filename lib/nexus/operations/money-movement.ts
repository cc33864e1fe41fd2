import * as z from '../../zod.ts';
import { amount, optional, read, rooted, text, write } from '../operation.ts';

const digits = (label: string) => z.string().check(z.regex(/^\d{4,17}$/, `must be the ${label}'s 4–17 digits`));
const sensitive = { sensitive: true } as const;

/** Microdeposits: MX verifies an account the user names by two small deposits. Account numbers: kept nowhere. */
export const MONEY_MOVEMENT_OPERATIONS = [
  read('/micro_deposits', 'list-microdeposits', "List the user's microdeposits", sensitive),
  read('/micro_deposits/{micro_deposit_guid}', 'read-microdeposit', 'Read a microdeposit', sensitive),
  {
    ...write(
      'POST',
      '/micro_deposits',
      'create-microdeposit',
      'Start a microdeposit verification (or preinitiate it with the name and e-mail only)',
      rooted('micro_deposit', {
        first_name: text(),
        last_name: text(),
        email: text(),
        ...optional({
          account_number: digits('account number'),
          routing_number: digits('routing number'),
          account_type: z.int(),
        }),
      }),
    ),
    ...sensitive,
  },
  {
    ...write(
      'PUT',
      '/micro_deposits/{micro_deposit_guid}',
      'verify-microdeposit',
      'Verify a microdeposit with the two amounts the user saw',
      z.looseObject({ deposit_amount_1: amount, deposit_amount_2: amount }),
    ),
    ...sensitive,
  },
];

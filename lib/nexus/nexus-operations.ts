import type { NexusOperation } from './operation.ts';
import { ACCOUNT_OPERATIONS } from './operations/accounts.ts';
import { MEMBER_OPERATIONS } from './operations/members.ts';
import { MONEY_MOVEMENT_OPERATIONS } from './operations/money-movement.ts';
import { PLAN_OPERATIONS } from './operations/plans.ts';
import { BEAT_OPERATIONS, PFM_OPERATIONS } from './operations/pfm.ts';
import { TRANSACTION_OPERATIONS } from './operations/transactions.ts';

/** Every Nexus operation the relay serves as the user; docs/api.md's coverage table lists MX's others and why not. */
export const NEXUS_OPERATIONS: readonly NexusOperation[] = [
  ...MEMBER_OPERATIONS,
  ...ACCOUNT_OPERATIONS,
  ...TRANSACTION_OPERATIONS,
  ...PFM_OPERATIONS,
  ...PLAN_OPERATIONS,
  ...BEAT_OPERATIONS,
  ...MONEY_MOVEMENT_OPERATIONS,
];

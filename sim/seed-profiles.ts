import type { UseCase } from './members.ts';
import type { AccountType } from './read-model.ts';

export interface AccountProfile {
  name: string;
  type: AccountType;
  isManual?: boolean;
  /** How many transactions to generate; only members with PFM aggregate transactions, so MONEY_MOVEMENT ones get none. */
  transactions?: number;
}

export interface MemberProfile {
  name: string;
  useCases: UseCase[];
  accounts: AccountProfile[];
}

export interface SpendingPlanProfile {
  /** Monthly iterations, the last one covering the month of the data's `asOf`. */
  iterations: number;
  /** How many of the user's PFM accounts the plan tracks. */
  accounts: number;
}

export interface SeededUserProfile {
  id: string;
  members: MemberProfile[];
  /**
   * An investment account with holdings, on the member at index `member` (fixtures-holdings.ts), drawn from a stream of
   * its own after everything else, so the rest of the user's data is the same with or without it.
   */
  investments?: { member: number; name: string; holdings: number };
  beats: number;
  spendingPlans: SpendingPlanProfile[];
}

/** The users that exist from start, with enough data to exercise every read route, its paging and its filters. */
export const SEEDED_USER_PROFILES: readonly SeededUserProfile[] = [
  {
    id: 'sim-user-pfm',
    members: [
      {
        name: 'MX Bank',
        useCases: ['PFM'],
        accounts: [
          { name: 'Everyday Checking', type: 'CHECKING', transactions: 140 },
          { name: 'Rewards Visa', type: 'CREDIT_CARD', transactions: 120 },
        ],
      },
      {
        name: 'MX Credit Union',
        useCases: ['PFM'],
        accounts: [
          { name: 'High-Yield Savings', type: 'SAVINGS', transactions: 25 },
          { name: 'Cash Envelope', type: 'CASH', isManual: true, transactions: 30 },
        ],
      },
    ],
    beats: 5,
    spendingPlans: [
      { iterations: 4, accounts: 2 },
      { iterations: 2, accounts: 2 },
    ],

    investments: { member: 1, name: 'Brokerage', holdings: 6 },
  },
  {
    id: 'sim-user-mm',
    members: [
      {
        name: 'MX Bank',
        useCases: ['MONEY_MOVEMENT'],
        accounts: [
          { name: 'Payments Checking', type: 'CHECKING' },
          { name: 'Reserve Savings', type: 'SAVINGS' },
        ],
      },
    ],
    beats: 0,
    spendingPlans: [],
  },
  {
    id: 'sim-user-mixed',
    members: [
      {
        name: 'MX Bank',
        useCases: ['PFM'],
        accounts: [
          { name: 'Household Checking', type: 'CHECKING', transactions: 45 },
          { name: 'Cashback Mastercard', type: 'CREDIT_CARD', transactions: 30 },
        ],
      },
      {
        name: 'MX Payments',
        useCases: ['MONEY_MOVEMENT'],
        accounts: [{ name: 'Transfer Checking', type: 'CHECKING' }],
      },
    ],
    beats: 2,
    spendingPlans: [{ iterations: 3, accounts: 2 }],
  },
];

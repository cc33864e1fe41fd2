import { randomBytes } from 'node:crypto';
import type { RandomSource } from './seeded-random.ts';

/** MX's guid prefixes for the objects the simulator makes up. */
export type GuidPrefix =
  | 'USR'
  | 'MBR'
  | 'JOB'
  | 'CRD'
  | 'CLT'
  | 'ACT'
  | 'TRN'
  | 'CAT'
  | 'BET'
  | 'SPL'
  | 'SPI'
  | 'SII'
  | 'SPA'
  // PFM resources (pfm-store.ts).
  | 'TAG'
  | 'TGN'
  | 'TXR'
  | 'BGT'
  | 'GOL'
  | 'MCF'
  | 'MCH'
  | 'MCL'
  // Holdings, notifications and their deliverables, scheduled payments, microdeposits (account-book.ts and its neighbours).
  | 'HOL'
  | 'TF'
  | 'DNF'
  | 'SCH'
  | 'MIC';
export type GuidFactory = (prefix: GuidPrefix) => string;

/** MX-style guids (`MBR-7c6f361b-e582-15b6-60c0-358f12466b4b`), reproducible from the seed. */
export function createGuidFactory(random: RandomSource): GuidFactory {
  const hex32 = () =>
    Math.floor(random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return (prefix) => {
    const hex = hex32() + hex32() + hex32() + hex32();
    return `${prefix}-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
}

/**
 * API and session tokens are credentials, so they come from the CSPRNG rather than the seed: a token left in a cache
 * from an earlier simulator run must never be valid, let alone for another user, in the next one.
 */
export function newSecretToken(bytes: number): string {
  return randomBytes(bytes).toString('base64url');
}

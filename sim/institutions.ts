import { createHash } from 'node:crypto';

export interface Institution {
  code: string;
  guid: string;
}

/** MX's test institution, MX Bank: where every member is unless the control API says otherwise. */
export const INSTITUTION: Institution = { code: 'mxbank', guid: 'INS-1572a04c-912b-59bf-5841-332c7dfafaef' };

/**
 * The institution of a member created through the control API. Neither given: MX Bank. A code alone gets a guid
 * derived from it (the same code always yields the same guid, so members of one code share one institution); a
 * guid alone keeps MX Bank's code.
 */
export function institutionFor(code: string | undefined, guid: string | undefined): Institution {
  if (code === undefined && guid === undefined) return INSTITUTION;
  if (guid !== undefined) return { code: code ?? INSTITUTION.code, guid };
  const hex = createHash('sha256').update(`institution:${code}`).digest('hex');
  return {
    code: code!,
    guid: `INS-${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`,
  };
}

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

/** What an institution supports beyond aggregation, as MX's institution fields name it. */
export interface InstitutionSupport {
  supports_account_verification: boolean;
  supports_account_identification: boolean;
  supports_transaction_history: boolean;
  supports_oauth: boolean;
}

/** An institution as the catalogue lists it, with the credentials its members are created with. */
export interface CatalogueInstitution extends Institution {
  name: string;
  url: string;
  credentials: { guid: string; label: string; type: 'TEXT' | 'PASSWORD'; field_name: string; display_order: number }[];
  supports: InstitutionSupport;
}

const EVERYTHING_BUT_OAUTH: InstitutionSupport = {
  supports_account_verification: true,
  supports_account_identification: true,
  supports_transaction_history: true,
  supports_oauth: false,
};

const usernameAndPassword = (code: string): CatalogueInstitution['credentials'] => {
  const guid = (field: string) => institutionFor(`${code}:${field}`, undefined).guid.replace(/^INS-/, 'CRD-');
  return [
    { guid: guid('username'), label: 'Username', type: 'TEXT', field_name: 'username', display_order: 1 },
    { guid: guid('password'), label: 'Password', type: 'PASSWORD', field_name: 'password', display_order: 2 },
  ];
};

const catalogued = (
  code: string,
  name: string,
  url: string,
  supports: Partial<InstitutionSupport> = {},
): CatalogueInstitution => ({
  ...(code === INSTITUTION.code ? INSTITUTION : institutionFor(code, undefined)),
  name,
  url,
  credentials: usernameAndPassword(code),
  supports: { ...EVERYTHING_BUT_OAUTH, ...supports },
});

/**
 * The institutions the simulator's catalogue lists (MX's test institution first), by name. Gringotts keeps no
 * extended history; the Iron Bank offers neither verification nor identification.
 */
export const CATALOGUE: readonly CatalogueInstitution[] = [
  catalogued(INSTITUTION.code, 'MX Bank', 'https://www.mx.com'),
  catalogued('mx_bank_oauth', 'MX Bank (OAuth)', 'https://www.mx.com', { supports_oauth: true }),
  catalogued('gringotts', 'Gringotts', 'https://gringotts.example', { supports_transaction_history: false }),
  catalogued('iron_bank', 'Iron Bank of Braavos', 'https://ironbank.example', {
    supports_account_verification: false,
    supports_account_identification: false,
  }),
];

/** MX's guid of the catalogue's institution `code` (create member and its credentials name institutions by guid). */
export function catalogueGuid(code: string): string {
  const institution = CATALOGUE.find((entry) => entry.code === code);
  if (!institution) throw new Error(`no institution ${code} in the catalogue`);
  return institution.guid;
}

/** What the member's institution supports: its catalogue entry's, else (an institution only the control API names) all but OAuth. */
export const supportOf = (institution: Institution): InstitutionSupport =>
  CATALOGUE.find((entry) => entry.code === institution.code)?.supports ?? EVERYTHING_BUT_OAUTH;

const LOGOS = 'https://content.moneydesktop.com/storage/MD_Assets/Ipad%20Logos';

/**
 * The institution MX lists under `code`, with the fields of MX's search institutions example (without its credentials):
 * the catalogue is the simulator's own, so its dates, links and popularity are fixed values.
 */
export const institutionView = ({ code, guid, name, url, supports }: CatalogueInstitution) => ({
  code,
  created_at: '2016-09-21T22:03:55.000Z',
  forgot_password_url: `${url}/forgot-password`,
  forgot_username_url: `${url}/forgot-username`,
  // MX's example spells this one singular and gives it a URL; the simulator follows it.
  has_checking_account: `${url}/forgot-username`,
  has_credit_card_accounts: true,
  has_investment_accounts: true,
  has_line_of_credit_accounts: true,
  has_loan_accounts: true,
  has_mortgage_accounts: true,
  has_savings_accounts: true,
  guid,
  is_disabled_by_client: false,
  is_hidden: false,
  is_test: true,
  iso_country_code: ['US'],
  medium_logo_url: `${LOGOS}/100x100/${guid}_100x100.png`,
  name,
  popularity: 1000,
  small_logo_url: `${LOGOS}/50x50/${guid}_50x50.png`,
  trouble_signing_in_url: `${url}/trouble-signing-in`,
  updated_at: '2022-04-11T17:38:27.000Z',
  url,
  ...supports,
  supports_account_statement: false,
});

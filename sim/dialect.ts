import { InvalidInputError, requireJsonObject } from './input-validation.ts';

/**
 * How the simulator answers where MX's documents are silent or ambiguous: each choice is a shape MX could plausibly
 * use, so the relay (and `nexus-relay mx check`) can be tried against every one. The defaults are the shapes the
 * simulator has always answered with.
 */
export const DIALECT_CHOICES = {
  /** An unknown or expired session: HTTP 401 with code 4011, or code 4011 under HTTP 400. */
  session_expired: ['401', '4011_under_400'],
  /** Aggregate and resume: answered with the member, or with a bare status (the resume page shows only a status). */
  aggregate_answer: ['member', 'status_only'],
  /** SSO api_token: JSON; XML (the SSO API's other format); 403 as for an address MX's allow-list refuses. */
  sso_answer: ['json', 'xml', 'refused'],
  /** A challenges answer with its `challenges` key, or an object without it. */
  challenges_key: ['present', 'missing'],
  /** Timestamps with milliseconds and Z, whole seconds and Z, or milliseconds and a +00:00 offset. */
  timestamps: ['milliseconds', 'seconds', 'offset'],
  /**
   * The partner has opted in to use cases (Connect widget URLs must carry `use_cases`), or not (MX refuses any).
   * MX's status for either refusal is UNCONFIRMED: the simulator answers 400.
   */
  use_cases: ['opted_in', 'not_opted_in'],
} as const;

export type Dialect = { -readonly [K in keyof typeof DIALECT_CHOICES]: (typeof DIALECT_CHOICES)[K][number] };

export const DEFAULT_DIALECT: Dialect = {
  session_expired: '401',
  aggregate_answer: 'member',
  sso_answer: 'json',
  challenges_key: 'present',
  timestamps: 'milliseconds',
  use_cases: 'opted_in',
};

/**
 * Reads `POST /_sim/dialect` (or the simulator's `dialect` option): each choice named is set, the others are `base`'s
 * (`{}` restores all).
 */
export function parseDialect(body: unknown, base: Dialect = DEFAULT_DIALECT): Dialect {
  const input = requireJsonObject(body ?? {}, 'body');
  const dialect = { ...base };
  for (const [name, value] of Object.entries(input)) {
    const choices = DIALECT_CHOICES[name as keyof Dialect] as readonly string[] | undefined;
    if (!choices) throw new InvalidInputError(`${name} is not a dialect choice (${Object.keys(DIALECT_CHOICES).join(', ')})`);
    if (!choices.includes(value as string)) throw new InvalidInputError(`${name} must be one of ${choices.join(', ')}`);
    (dialect as Record<string, string>)[name] = value as string;
  }
  return dialect;
}

const ISO_MILLISECONDS = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{3})Z$/;

/** `body` with every timestamp the simulator wrote (`…T…:…:….mmmZ`) in the dialect's form. */
export function withTimestamps(body: unknown, form: Dialect['timestamps']): unknown {
  if (form === 'milliseconds') return body;
  if (typeof body === 'string') {
    const match = ISO_MILLISECONDS.exec(body);
    if (!match) return body;
    return form === 'seconds' ? `${match[1]}Z` : `${match[1]}${match[2]}+00:00`;
  }
  if (Array.isArray(body)) return body.map((inner) => withTimestamps(inner, form));
  if (body !== null && typeof body === 'object') {
    return Object.fromEntries(Object.entries(body).map(([key, inner]) => [key, withTimestamps(inner, form)]));
  }
  return body;
}

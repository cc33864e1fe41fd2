import { HOUR_MS, dayOf } from './calendar.ts';
import { toIso } from './clock.ts';
import type { JsonObject } from './input-validation.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';
import { optionalDay, optionalString, rootedBody } from './write-bodies.ts';

/** What MX knows of the user beyond its ids (MX's Read user example's fields). */
interface UserProfile {
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  birthday: string | null;
  phone: string | null;
  postalCode: string;
  creditScore: number;
  gender: number;
  metadata: string | null;
  acceptedTermsAt: number;
  revision: number;
}

const FIRST_NAMES = ['Avery', 'Jordan', 'Riley', 'Casey', 'Morgan', 'Quinn', 'Taylor', 'Rowan'];
const LAST_NAMES = ['Nguyen', 'Okafor', 'Lindqvist', 'Haddad', 'Moreau', 'Tanaka', 'Castillo', 'Brennan'];

function fnv1a(text: string): number {
  let hash = 0x811c_9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x0100_0193) >>> 0;
  return hash;
}

/** A user as first read: names drawn from its guid, an address at example.com, terms accepted a while before the data. */
function initialProfile(user: SimUser, asOf: number): UserProfile {
  const hash = fnv1a(user.guid);
  return {
    email: `${user.id}@example.com`,
    firstName: FIRST_NAMES[hash % FIRST_NAMES.length]!,
    lastName: LAST_NAMES[(hash >>> 8) % LAST_NAMES.length]!,
    birthday: null,
    phone: null,
    postalCode: '',
    creditScore: 0,
    gender: 0,
    metadata: null,
    acceptedTermsAt: asOf - (200 + (hash % 300)) * 24 * HOUR_MS,
    revision: 1,
  };
}

/**
 * `GET /user` (MX's Read user) and `PUT /user`. Nexus's update-user page was not found (UNCONFIRMED): the body follows
 * Platform's update user, rooted `{"user":{…}}`, with the fields Nexus's user shows that a person may change: email,
 * first_name, last_name, birthday (YYYY-MM-DD), phone, postal_code, metadata (any may be null but postal_code). Each
 * update raises `revision`. `logged_in_at` is when the user's latest session opened (the read's own session).
 */
export function userRoutes(state: SimulatorState): MxRoute[] {
  const profiles = new Map<string, UserProfile>();
  const loggedIn = new Map<string, number>();
  const profileOf = (user: SimUser) => {
    let profile = profiles.get(user.id);
    if (!profile) {
      profile = initialProfile(user, state.seedData.asOf);
      profiles.set(user.id, profile);
    }
    return profile;
  };
  const view = (user: SimUser) => {
    const profile = profileOf(user);
    if (!loggedIn.has(user.id)) loggedIn.set(user.id, state.clock.now());
    return {
      user: {
        accepted_terms_and_conditions_at: toIso(profile.acceptedTermsAt),
        birthday: profile.birthday,
        credit_score: profile.creditScore,
        email: profile.email,
        email_is_verified: false,
        external_guid: user.id,
        failed_token_login_attempts_count: 0,
        first_name: profile.firstName,
        gender: profile.gender,
        guid: user.guid,
        has_accepted_terms_and_conditions: true,
        has_updated_terms_and_conditions: false,
        is_disabled: false,
        is_restricted: false,
        last_name: profile.lastName,
        logged_in_at: toIso(loggedIn.get(user.id)!),
        metadata: profile.metadata,
        phone: profile.phone,
        phone_is_verified: false,
        postal_code: profile.postalCode,
        revision: profile.revision,
      },
    };
  };

  return [
    {
      methods: ['GET'],
      pattern: '/user',
      handler: userEndpoint(state, (_request, user) => ({ status: 200, body: view(user) })),
    },
    {
      methods: ['PUT'],
      pattern: '/user',
      handler: userEndpoint(state, ({ body }, user) => {
        const input = rootedBody(body, 'user');
        const changes = userChanges(input, dayOf(state.clock.now()));
        if (Object.keys(changes).length === 0) throw new MxError(400, 'user must hold at least one field to update.');
        const profile = profileOf(user);
        Object.assign(profile, changes, { revision: profile.revision + 1 });
        return { status: 200, body: view(user) };
      }),
    },
  ];
}

function userChanges(input: JsonObject, today: string): Partial<UserProfile> {
  const changes: Partial<UserProfile> = {};
  const email = optionalString(input, 'email', { nullable: true });
  if (email !== undefined) {
    if (
      email !== null &&
      !/^[^\s@]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/.test(email)
    ) {
      throw new MxError(400, 'email must be an address written user@domain.tld.');
    }
    changes.email = email;
  }
  for (const [field, key] of [
    ['first_name', 'firstName'],
    ['last_name', 'lastName'],
    ['phone', 'phone'],
  ] as const) {
    const value = optionalString(input, field, { nullable: true });
    if (value !== undefined) changes[key] = value;
  }
  const metadata = optionalString(input, 'metadata', { max: 10_000, nullable: true });
  if (metadata !== undefined) changes.metadata = metadata;
  if (input.birthday === null) changes.birthday = null;
  else {
    const birthday = optionalDay(input, 'birthday');
    if (birthday !== undefined) {
      if (birthday > today) throw new MxError(400, 'birthday must not be in the future.');
      changes.birthday = birthday;
    }
  }
  if (input.postal_code !== undefined) {
    if (typeof input.postal_code !== 'string' || input.postal_code.length > 10) {
      throw new MxError(400, 'postal_code must be a string of at most 10 characters.');
    }
    changes.postalCode = input.postal_code;
  }
  return changes;
}

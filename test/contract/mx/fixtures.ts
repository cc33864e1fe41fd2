import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';

/**
 * A request and response example from MX's documents (the project's seeds and the MX reference notes), kept verbatim
 * in `fixtures/*.json` with where it comes from. `confirmed: false` marks a shape the documents leave UNCONFIRMED.
 */
export interface MxFixture {
  name: string;
  source: string;
  confirmed: boolean;
  /** `query`: the parameters as the page lists them (values as sent on the wire). */
  request: { method: string; route: string; query?: Record<string, string>; headers: Record<string, string>; body?: unknown };
  /** `body: null`: the page documents the answer without a body (a status only). */
  response: { status: number; contentType: string; body: unknown };
}

const DIR = new URL('./fixtures/', import.meta.url);

export const FIXTURES: Record<string, MxFixture> = Object.fromEntries(
  readdirSync(DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const name = file.replace(/\.json$/, '');
      return [name, { name, ...(JSON.parse(readFileSync(new URL(file, DIR), 'utf8')) as Omit<MxFixture, 'name'>) }];
    }),
);

/**
 * The shape of a JSON value: each object key's shape, an array's element shape (from its first element), a primitive's
 * type. Written here for the contract tests, apart from both the client's and the simulator's schemas.
 */
export function shapeOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.length === 0 ? ['empty'] : [shapeOf(value[0])];
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, shapeOf(inner)]),
    );
  }
  return value === null ? 'null' : typeof value;
}

/** Where `actual` lacks a key of `expected` or has another type there (extra keys in `actual` are allowed). */
export function shapeDifferences(expected: unknown, actual: unknown, path = '$'): string[] {
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return [`${path}: expected an array`];
    return expected[0] === 'empty' || actual[0] === 'empty' ? [] : shapeDifferences(expected[0], actual[0], `${path}[0]`);
  }
  if (expected !== null && typeof expected === 'object') {
    if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return [`${path}: expected an object`];
    return Object.entries(expected as Record<string, unknown>).flatMap(([key, inner]) =>
      key in (actual as Record<string, unknown>)
        ? shapeDifferences(inner, (actual as Record<string, unknown>)[key], `${path}.${key}`)
        : [`${path}.${key}: missing`],
    );
  }
  // A documented null says nothing of the type; a string documented where a null came is allowed too.
  if (expected === 'null' || actual === 'null') return [];
  return expected === actual ? [] : [`${path}: expected ${String(expected)}, got ${String(actual)}`];
}

/** A session token for `user` at the simulator on `url`, opened as MX's session example opens one. */
export async function sessionOf(url: string, user: string): Promise<string> {
  const sso = await fetch(`${url}/sim-client/users/${user}/api_token.json`, { headers: { 'MD-API-KEY': 'sim-api-key' } });
  const apiToken = ((await sso.json()) as { api_token: { token: string } }).api_token.token;
  const session = await fetch(`${url}/sessions`, {
    method: 'POST',
    headers: { ...FIXTURES['session-create']!.request.headers, 'MD-API-TOKEN': apiToken },
    body: JSON.stringify(FIXTURES['session-create']!.request.body),
  });
  return ((await session.json()) as { session: { token: string } }).session.token;
}

/** What a contract test changes of a fixture's request to fit the simulator's data. */
export interface FixtureCall {
  /** The route's `{params}`. */
  params?: Record<string, string>;
  /** In place of the fixture's query (MX's example dates may lie years before the simulator's data). */
  query?: Record<string, string>;
  /** In place of the fixture's request body (MX's example names guids the simulator does not have). */
  body?: unknown;
  /** `{placeholders}` replaced in the body sent. */
  replace?: Record<string, string>;
}

/** Calls the simulator on `url` as fixture `name` says, as the session `token`'s user; the answer as received. */
export async function callFixture<Json = Record<string, unknown>>(
  url: string,
  token: string,
  name: string,
  { params = {}, query, body, replace = {} }: FixtureCall = {},
) {
  const fixture: MxFixture = FIXTURES[name]!;
  expect(fixture, name).toBeDefined();
  const route = fixture.request.route.replace(/\{([^}]+)\}/g, (_, param: string) => {
    expect(params[param], `${name}: ${param}`).toBeDefined();
    return encodeURIComponent(params[param]!);
  });
  const search = query ?? fixture.request.query;
  const headers = Object.fromEntries(
    Object.entries(fixture.request.headers).map(([key, value]) => [key, value === '<session token>' ? token : value]),
  );
  const sent = body ?? fixture.request.body;
  let text = sent === undefined ? undefined : JSON.stringify(sent);
  for (const [placeholder, value] of Object.entries(replace)) text = text?.replaceAll(placeholder, value);
  const response = await fetch(`${url}${route}${search ? `?${new URLSearchParams(search).toString()}` : ''}`, {
    method: fixture.request.method,
    headers,
    body: text,
  });
  const answer = await response.text();
  return {
    fixture,
    status: response.status,
    type: response.headers.get('content-type') ?? '',
    body: (answer === '' ? null : JSON.parse(answer)) as Json,
  };
}

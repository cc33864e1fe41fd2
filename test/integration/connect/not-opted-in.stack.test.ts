import { afterAll, beforeAll, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../../infra/local/local-stack.ts';
import { catalogueGuid } from '../../../sim/institutions.ts';

/**
 * A deployment MX has not opted in to use cases (`MX_USE_CASES_ENABLED=false`): the local stack's simulator is such an
 * MX too, so the widget URL and the member MX would take go through, and `use_cases` is refused before MX.
 */
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ port: 0, simPort: 0, env: { MX_USE_CASES_ENABLED: 'false' } });
}, 60_000);

afterAll(() => stack?.stop());

async function call(method: string, path: string, body: unknown) {
  const response = await fetch(`${stack.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${stack.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

it('starts its simulator not opted in, and the requests MX takes then go through', async () => {
  const dialect = (await (await fetch(`${stack.simulatorUrl}/_sim/dialect`)).json()) as { dialect: { use_cases: string } };
  expect(dialect.dialect.use_cases).toBe('not_opted_in');
  const url = await call('POST', '/users/plain-user/widget_urls', { widget_type: 'connect_widget' });
  expect(url.status, JSON.stringify(url.body)).toBe(201);
  const refused = await call('POST', '/users/plain-user/widget_urls', { widget_type: 'connect_widget', use_cases: ['PFM'] });
  expect(refused.body).toMatchObject({ code: 'use_cases_invalid', field: 'use_cases' });

  const fields = await fetch(`${stack.url}/users/plain-user/institutions/${catalogueGuid('mxbank')}/credentials`, {
    headers: { authorization: `Bearer ${stack.apiKey}` },
  });
  const credentials = ((await fields.json()) as { credentials: { guid: string }[] }).credentials;
  const member = await call('POST', '/users/plain-user/members', {
    institution_guid: catalogueGuid('mxbank'),
    credentials: credentials.map(({ guid }) => ({ guid, value: 'plain' })),
    skip_aggregation: true,
  });
  expect(member.status, JSON.stringify(member.body)).toBe(201);
  const updated = await call('PUT', `/users/plain-user/members/${member.body.member.guid}`, { metadata: 'plain' });
  expect(updated.status, JSON.stringify(updated.body)).toBe(200);
});

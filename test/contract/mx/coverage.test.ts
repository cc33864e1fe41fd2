import { expect, it } from 'vitest';
import { NEXUS_OPERATIONS } from '../../../lib/nexus/nexus-operations.ts';
import { FIXTURES } from './fixtures.ts';

/** A path with its parameters unnamed, and MX's optional `.json` off. */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}').replace(/\.json$/, '');

it('every operation the relay declares has a contract fixture: MX’s documented example, or UNCONFIRMED with why', () => {
  const documented = new Set(Object.values(FIXTURES).map(({ request }) => `${request.method} ${shape(request.route)}`));
  const missing = NEXUS_OPERATIONS.map((operation) => operation.mx ?? operation)
    .map((call) => `${call.method} ${shape(call.path)}`)
    .filter((call) => !documented.has(call));
  expect(missing).toEqual([]);
});

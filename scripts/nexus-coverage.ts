import { readFileSync } from 'node:fs';
import { routeKey } from '../lib/http/route.ts';
import { NEXUS_OPERATIONS } from '../lib/nexus/nexus-operations.ts';
import { ROUTES } from '../lib/route-table.ts';

/** One operation of MX's Nexus reference (docs/reference/nexus-operations.json, read from docs.mx.com). */
export interface MxOperation {
  ref: string;
  tag: string;
  method: string;
  path: string;
  /** Read on MX's page itself; false: inferred, or no page found. */
  confirmed: boolean;
  /** A route of the relay's own that does it (a member's writes and jobs). */
  served_by?: string;
  not_relayed?: string;
  source?: string;
}

export const MX_OPERATIONS: readonly MxOperation[] = JSON.parse(
  readFileSync(new URL('../docs/reference/nexus-operations.json', import.meta.url), 'utf8'),
);

export interface CoverageRow {
  mx: MxOperation;
  /** The relay's route key, when relayed. */
  route?: string;
}

/** Each of MX's operations with the route that relays it, if one does. */
export function coverage(): CoverageRow[] {
  return MX_OPERATIONS.map((mx) => {
    const declared = NEXUS_OPERATIONS.find((operation) => operation.ref === mx.ref);
    const route = declared ? `${declared.method} /users/{user_id}${declared.path}` : mx.served_by;
    return route ? { mx, route } : { mx };
  });
}

/** A path with its parameters unnamed: names are the relay's, only their places reach MX. */
const shape = (path: string) => path.replace(/\{[^}]+\}/g, '{}');

/** Where the declarations, the routes and MX's reference disagree: empty when the table is true. */
export function coverageDisagreements(): string[] {
  const found: string[] = [];
  const keys = new Set(ROUTES.map(routeKey));
  const refs = new Set(MX_OPERATIONS.map((mx) => mx.ref));
  if (refs.size !== MX_OPERATIONS.length) found.push('an MX operation is listed twice');
  for (const operation of NEXUS_OPERATIONS) {
    const mx = MX_OPERATIONS.find((entry) => entry.ref === operation.ref);
    const call = operation.mx ?? operation;
    if (!mx) found.push(`${operation.ref}: declared, not in MX's reference`);
    else if (mx.method !== call.method || shape(mx.path) !== shape(call.path)) {
      found.push(`${operation.ref}: declared as ${call.method} ${call.path}, MX's is ${mx.method} ${mx.path}`);
    }
  }
  for (const row of coverage()) {
    const { ref, not_relayed: reason } = row.mx;
    if (row.route && !keys.has(row.route)) found.push(`${ref}: ${row.route} is not a route`);
    if (row.route && reason) found.push(`${ref}: relayed, yet a reason not to`);
    if (!row.route && !reason) found.push(`${ref}: neither relayed nor a reason why not`);
  }
  return found;
}

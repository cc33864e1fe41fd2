import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';

/**
 * The MX simulator's control API (`/_sim/…`) as end-to-end tests script it: `sim` calls it and fails the test on a
 * non-2xx answer; `simMember` adds a user's member whose aggregations run as `aggregation` says.
 */
export function simulatorControl(simulatorUrl: () => string | undefined) {
  async function sim(method: string, path: string, body?: unknown) {
    const response = await fetch(`${simulatorUrl()}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    expect(response.status, `simulator ${method} ${path}: ${text}`).toBeLessThan(300);
    return text ? JSON.parse(text) : undefined;
  }

  async function simMember(aggregation: { duration_ms: number; final_status: string; challenge?: unknown }, useCases?: string[]) {
    const userId = `user-${randomUUID().slice(0, 8)}`;
    const { member } = await sim('POST', '/_sim/members', {
      user_id: userId,
      aggregation,
      ...(useCases ? { use_cases: useCases } : {}),
    });
    return { userId, memberGuid: member.guid as string };
  }

  return { sim, simMember };
}

/**
 * A session token of `userId` at the simulator, opened as an app would but without the aggregation MX starts on a new
 * session (`skip_aggregation`): a test reading MX's state does not change it.
 */
export async function simulatorSession(simulatorUrl: string, userId: string): Promise<string> {
  const sso = await fetch(`${simulatorUrl}/sim-client/users/${userId}/api_token`, { headers: { 'md-api-key': 'sim-api-key' } });
  const apiToken = ((await sso.json()) as { api_token: { token: string } }).api_token.token;
  const session = await fetch(`${simulatorUrl}/sessions`, {
    method: 'POST',
    headers: { 'md-api-token': apiToken, 'content-type': 'application/vnd.mx.nexus.v1+json' },
    body: JSON.stringify({ session: { skip_aggregation: true } }),
  });
  return ((await session.json()) as { session: { token: string } }).session.token;
}

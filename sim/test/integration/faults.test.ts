import { describe, expect, it } from 'vitest';
import { startSimHarness } from './sim-harness.ts';

describe('mx-sim faults', () => {
  it('error_rate 1 answers every MX call with the chosen status and MX error body', async () => {
    const { sim, putMember, openSession, nexus, control } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const token = await openSession('user-1');

    const set = await control('/_sim/faults', { error_rate: 1 });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({
      faults: { error_rate: 1, status: 503, latency_ms: 0, retry_after_s: null, drop_rate: 0 },
    });

    const failed = await nexus('/members', token);
    expect(failed.status).toBe(503);
    expect(await failed.json()).toEqual({ error: { code: 5030, message: 'Service Unavailable.' } });
    expect((await fetch(`${sim.url}/sessions`, { method: 'POST', body: '{}' })).status).toBe(503);

    await control('/_sim/faults', {});
    expect((await nexus('/members', token)).status).toBe(200);
  });

  it('429 carries Retry-After', async () => {
    const { putMember, openSession, nexus, control } = await startSimHarness();
    await putMember({ user_id: 'user-1' });
    const token = await openSession('user-1');
    await control('/_sim/faults', { error_rate: 1, status: 429, retry_after_s: 12 });

    const limited = await nexus('/members', token);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('12');
    expect(await limited.json()).toEqual({ error: { code: 4290, message: 'Too Many Requests.' } });
  });

  it('drop_rate 1 closes the connection without an answer', async () => {
    const { putMember, openSession, nexus, control, stats } = await startSimHarness();
    await putMember({ user_id: 'user-1', member_guid: 'MBR-1' });
    const token = await openSession('user-1');
    await control('/_sim/faults', { drop_rate: 1 });

    await expect(nexus('/members/MBR-1', token)).rejects.toThrow(TypeError);
    expect((await stats()).calls['GET /members/{member_guid}']).toBe(1);
  });

  it('leaves the control API alone', async () => {
    const { control, putMember } = await startSimHarness();
    await control('/_sim/faults', { error_rate: 1, drop_rate: 1 });
    expect((await putMember({ user_id: 'user-1' })).guid).toMatch(/^MBR-/);
    expect((await control('/_sim/stats')).status).toBe(200);
  });

  it('draws the same faults for the same seed', async () => {
    const statuses = async (seed: number) => {
      const { sim, control } = await startSimHarness(seed);
      await control('/_sim/faults', { error_rate: 0.5 });
      const seen: number[] = [];
      for (let index = 0; index < 30; index += 1) seen.push((await fetch(`${sim.url}/members`)).status);
      return seen;
    };
    const first = await statuses(11);
    expect(first).toEqual(await statuses(11));
    expect(new Set(first)).toEqual(new Set([401, 503]));
  });

  it('delays answers by latency_ms', async () => {
    const { sim, control } = await startSimHarness();
    await control('/_sim/faults', { latency_ms: 60 });
    const startedAt = performance.now();
    expect((await fetch(`${sim.url}/members`)).status).toBe(401);
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(55);
  });

  it('closes promptly while a delayed answer is pending', async () => {
    const { sim, control } = await startSimHarness();
    await control('/_sim/faults', { latency_ms: 60_000 });
    const pending = fetch(`${sim.url}/members`).then(
      () => 'answered',
      () => 'connection closed',
    );
    await new Promise((resolve) => setImmediate(resolve));
    await sim.close();
    expect(await pending).toBe('connection closed');
  });

  it('refuses invalid settings with a 400 naming the field', async () => {
    const { control } = await startSimHarness();
    const response = await control('/_sim/faults', { error_rate: 2 });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: expect.stringContaining('error_rate') } });
  });
});

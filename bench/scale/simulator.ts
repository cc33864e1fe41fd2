import { Pool } from 'undici';

export interface SimMember {
  userId: string;
  guid: string;
}

/** The bench's side of the MX simulator's control API (`/_sim/…`), over one connection pool. */
export interface SimulatorControl {
  /**
   * Creates `count` members, `membersPerUser` to a user, each with the simulator's default aggregation script, then
   * zeroes the simulator's call counts so they cover the run alone.
   */
  seedMembers(count: number, membersPerUser: number): Promise<SimMember[]>;
  /** The simulator's own count of the MX calls it answered, by route. */
  callCounts(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

const CONNECTIONS = 16;

export function simulatorControl(simulatorUrl: string): SimulatorControl {
  const sim = new Pool(simulatorUrl, { connections: CONNECTIONS });
  return {
    async seedMembers(count, membersPerUser) {
      const members: SimMember[] = [];
      let next = 0;
      await Promise.all(
        Array.from({ length: CONNECTIONS }, async () => {
          for (let i = next++; i < count; i = next++) {
            const userId = `bench-scale-user-${Math.floor(i / membersPerUser)}`;
            const response = await sim.request({
              method: 'POST',
              path: '/_sim/members',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ user_id: userId }),
            });
            const { member } = (await response.body.json()) as { member: { guid: string } };
            members[i] = { userId, guid: member.guid };
          }
        }),
      );
      await (await sim.request({ method: 'POST', path: '/_sim/reset' })).body.dump();
      return members;
    },
    async callCounts() {
      const response = await sim.request({ method: 'GET', path: '/_sim/stats' });
      return ((await response.body.json()) as { calls: Record<string, number> }).calls;
    },
    close: () => sim.close(),
  };
}

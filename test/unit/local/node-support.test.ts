import { describe, expect, it } from 'vitest';
import { endOfLifeNotice } from '../../../infra/local/node-support.ts';

describe('endOfLifeNotice', () => {
  const on = (day: string) => new Date(`${day}T12:00:00Z`);

  it('says so in one line once a Node major is past its end of life', () => {
    expect(endOfLifeNotice('v20.20.2', on('2026-11-23'))).toBe(
      'Node 20.20.2 reached its end of life on 2026-04-30 (no more security fixes): use Node 24, the active LTS',
    );
    expect(endOfLifeNotice('v22.23.3', on('2027-05-01'))).toMatch(/^Node 22\.23\.3 reached its end of life on 2027-04-30/);
  });

  it('says nothing while the major is supported, on its last day included, or for a major it does not know', () => {
    expect(endOfLifeNotice('v20.20.2', on('2026-04-30'))).toBeUndefined();
    expect(endOfLifeNotice('v22.23.3', on('2026-11-23'))).toBeUndefined();
    expect(endOfLifeNotice('v24.9.0', on('2026-11-23'))).toBeUndefined();
    expect(endOfLifeNotice('v26.0.0', on('2030-01-01'))).toBeUndefined();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { suggest } from '../../../cli/suggest.ts';

const original = process.env.npm_lifecycle_event;
afterEach(() => {
  if (original === undefined) delete process.env.npm_lifecycle_event;
  else process.env.npm_lifecycle_event = original;
});

describe('suggested command lines run as shown', () => {
  it('through `npm run cli` (a clone: nexus-relay is not on PATH), as that script', () => {
    process.env.npm_lifecycle_event = 'cli';
    expect(suggest('jobs get job_1')).toBe('npm run cli -- jobs get job_1');
  });

  it('as the installed bin, by its name', () => {
    delete process.env.npm_lifecycle_event;
    expect(suggest('jobs get job_1')).toBe('nexus-relay jobs get job_1');
    process.env.npm_lifecycle_event = 'test';
    expect(suggest('jobs get job_1')).toBe('nexus-relay jobs get job_1');
  });
});

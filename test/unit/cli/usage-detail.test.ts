import { describe, expect, it } from 'vitest';
import { usageDetail } from '../../../cli/errors.ts';

describe('usageDetail', () => {
  it('says where a value that begins with - goes', () => {
    expect(usageDetail("error: unknown option '-Ab3xY_9q'\n")).toBe(
      "unknown option '-Ab3xY_9q' (a value that begins with - goes after --: `-- -Ab3xY_9q`)",
    );
  });

  it('leaves other messages as commander wrote them, without its prefix', () => {
    expect(usageDetail("error: unknown option '--bogus'")).toBe("unknown option '--bogus'");
    expect(usageDetail("error: missing required argument 'prefix'")).toBe("missing required argument 'prefix'");
  });
});

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { closedOnce } from '../../../lib/mx/mx-answer.ts';

const container = fc.oneof(fc.array(fc.jsonValue()), fc.dictionary(fc.string(), fc.jsonValue()));
const indent = fc.constantFrom(undefined, 0, 2);

describe('closedOnce (a relayed body is whole)', () => {
  it('accepts every object or array JSON.stringify writes, compact or indented', () => {
    fc.assert(fc.property(container, indent, (value, space) => closedOnce(JSON.stringify(value, null, space))));
  });

  it('refuses every cut of one, wherever it falls: at a } or ] included', () => {
    fc.assert(
      fc.property(container, indent, fc.nat(), (value, space, at) => {
        const text = JSON.stringify(value, null, space);
        const cut = text.slice(0, at % text.length).trimEnd();
        return !closedOnce(cut);
      }),
    );
  });

  it('refuses what is not one object or array', () => {
    for (const text of ['', '  ', '1', '"{}"', 'null', '{} []', '[]]', '{]', '{"a":"}']) expect(closedOnce(text)).toBe(false);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const FUNCTIONS = new URL('../../functions/', import.meta.url);

it.each(readdirSync(FUNCTIONS))('functions/%s exports its handler and nothing else', (file) => {
  const exports = readFileSync(new URL(file, FUNCTIONS), 'utf8').match(/^export .*$/gm);
  expect(exports).toEqual([expect.stringMatching(/^export const \{ handler \} = compose\w+\(getConfig\(/)]);
});

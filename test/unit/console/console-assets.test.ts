import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildConsoleAssets, CONSOLE_ASSETS, renderConsoleAssets } from '../../../scripts/build-console.ts';

describe('the console the api-docs function serves', () => {
  it('is lib/api/console-assets.generated.json, built from the current console/ (run `npm run console` when this fails)', async () => {
    const built = await buildConsoleAssets();
    expect(
      readFileSync(CONSOLE_ASSETS, 'utf8') === renderConsoleAssets(built),
      `${CONSOLE_ASSETS} is out of date: run \`npm run console\` and commit the file`,
    ).toBe(true);
  });

  it('is one page naming its script and style by content hash, with no inline script or style', async () => {
    const built = await buildConsoleAssets();
    const page = built['index.html']!.body;
    const named = [...page.matchAll(/(?:src|href)="console\/([^"]+)"/g)].map((match) => match[1]);
    expect(named.sort()).toEqual(
      Object.keys(built)
        .filter((name) => name !== 'index.html')
        .sort(),
    );
    for (const name of named) expect(name).toMatch(/^app-[0-9a-f]{12}\.(js|css)$/);
    expect(page).not.toMatch(/<script>|<style|\sstyle=|\son\w+=/);
  });
});

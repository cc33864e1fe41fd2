import { describe, expect, it } from 'vitest';
import { API_DOCS_ROUTES, CONSOLE_CSP } from '../../../lib/api-docs/api-docs-routes.ts';
import type { HttpRequest } from '../../../lib/http/route.ts';
import { buildConsoleAssets, CONSOLE_FOLDER, readConsoleFolder } from '../../../scripts/build-console.ts';

const byName = (files: Record<string, string>) => Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1));

describe('the console the api-docs function serves', () => {
  it('is lib/api-docs/public/console/, built from the current console/ (run `npm run console` when this fails)', async () => {
    expect(
      JSON.stringify(byName(readConsoleFolder())) === JSON.stringify(byName(await buildConsoleAssets())),
      `${CONSOLE_FOLDER} is out of date: run \`npm run console\` and commit the folder`,
    ).toBe(true);
  });

  it('is one page naming its script and style by content hash, with no inline script or style', async () => {
    const built = await buildConsoleAssets();
    const page = built['index.html']!;
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

describe('GET /console/{asset}', () => {
  const route = API_DOCS_ROUTES.find((r) => r.path === '/console/{asset}')!;
  const serve = { handle: (request: HttpRequest) => route.handle(request as never, {}) };
  const request = (asset: string) =>
    ({ pathParams: { asset }, query: {}, headers: {}, body: undefined }) as unknown as HttpRequest;

  it.each(['valueOf', 'constructor', '__proto__', 'toString', 'index.html', 'app.js', '..', '.', '../openapi.json', ''])(
    '"%s" is a file the console does not have: 404, never a crash (found by the hostile-input suite)',
    async (asset) => {
      await expect(serve.handle(request(asset))).rejects.toMatchObject({ name: 'HttpProblem', status: 404 });
    },
  );

  it('does not quote a name it does not have back, however long', async () => {
    const asset = `app-${'x'.repeat(5000)}.js`;
    const problem = await serve.handle(request(asset)).catch((error: unknown) => error);
    expect(problem).toMatchObject({ name: 'HttpProblem', status: 404 });
    expect(JSON.stringify(problem)).not.toContain('xxxxxxxx');
    expect((problem as Error).message).not.toContain('xxxxxxxx');
  });

  it('serves each built asset with its type, the CSP and a year of caching', async () => {
    for (const name of Object.keys(await buildConsoleAssets()).filter((file) => file !== 'index.html')) {
      const answer = await serve.handle(request(name));
      expect(answer.headers).toMatchObject({
        'content-type': expect.stringMatching(/^text\/(javascript|css)/),
        'content-security-policy': CONSOLE_CSP,
        'cache-control': 'public, max-age=31536000, immutable',
      });
    }
  });
});

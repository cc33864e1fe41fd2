import type { HttpResponse } from '../http/route.ts';
import { HttpProblem } from '../http/problem.ts';
import type { Route } from '../http/route.ts';
import { PublicFiles } from './public-files.ts';

/** Read on first request. */
const documents = new PublicFiles();
const consoleFiles = new PublicFiles('console/');

/** The console may run its own script and style and call this origin's API, nothing else. */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const CONSOLE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

/** Only names in the console folder's listing are served; nothing else is read or parsed. */
function serve(name: string, cacheControl: string): HttpResponse {
  const asset = consoleFiles.get(name);
  // The name is not quoted back: nothing bounds its length.
  if (asset === undefined) throw new HttpProblem('not_found', 'The console has no file by that name.');
  return {
    status: 200,
    text: asset.body,
    headers: { ...CONSOLE_HEADERS, 'content-type': asset.contentType, 'cache-control': cacheControl },
  };
}

/** The api-docs function: the OpenAPI document (`npm run openapi`) and the operator console (`npm run console`). */
export const API_DOCS_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    fn: 'api-docs',
    summary: 'This API as an OpenAPI 3.1 document',
    auth: 'none',
    async handle() {
      const document = documents.get('openapi.json');
      if (!document) throw new Error('openapi.json is not beside the api-docs function (infra/bundling.ts copies it)');
      return { status: 200, json: document.body, headers: { 'cache-control': 'public, max-age=300' } };
    },
    docs: (z) => ({
      responses: {
        200: {
          description: 'This document (OpenAPI 3.1)',
          body: z.looseObject({}),
          headers: { 'cache-control': 'Cacheable for 5 minutes' },
        },
      },
    }),
  },
  {
    method: 'GET',
    path: '/',
    fn: 'api-docs',
    summary: 'Where a browser opening the API lands: the operator console',
    auth: 'none',
    async handle() {
      return { status: 302, text: '', headers: { location: '/console', 'cache-control': 'public, max-age=300' } };
    },
    docs: () => ({
      responses: { 302: { description: 'To the console (/console)', headers: { location: '/console' } } },
    }),
  },
  {
    method: 'GET',
    path: '/console',
    fn: 'api-docs',
    summary: 'The operator console: jobs and webhook deliveries in a browser (sign in with an API key)',
    auth: 'none',
    async handle() {
      return serve('index.html', 'no-cache');
    },
    docs: () => ({
      description:
        "A single-page console for operators, a client of this API only: sign in with an API key (kept in the tab's sessionStorage), then jobs and webhook deliveries.",
      responses: {
        200: {
          description: 'The console page',
          mediaTypes: ['text/html'],
          headers: { 'content-security-policy': "The page's policy: its own origin only, no inline script or style" },
        },
      },
    }),
  },
  {
    method: 'GET',
    path: '/console/{asset}',
    fn: 'api-docs',
    summary: "The console's script and style",
    auth: 'none',
    async handle(request) {
      const asset = request.pathParams['asset'] ?? '';
      // index.html is the page itself, served at /console; the rest never change under their hashed names.
      if (asset === 'index.html') throw new HttpProblem('not_found', 'The console page is /console.');
      return serve(asset, 'public, max-age=31536000, immutable');
    },
    docs: (z) => ({
      path: z.object({ asset: z.string().check(z.describe('A file the console page names; any other name is a 404')) }),
      responses: {
        200: {
          description: "The console's script or style (content-hashed names, cacheable for a year)",
          mediaTypes: ['text/javascript', 'text/css'],
        },
      },
      problems: ['not_found'],
    }),
  },
];

import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { sha256Hex } from '../lib/hash.ts';

/**
 * `npm run console`: builds the operator console (console/) into the one file the api-docs function serves it from,
 * lib/api-docs/console-assets.generated.json — the page, and its script and style under content-hashed names. Committed
 * like the OpenAPI document: the Lambda bundle and the local gateway read the same bytes, nothing is built at run
 * time, and a test fails when the file is stale.
 */
export const CONSOLE_ASSETS = fileURLToPath(new URL('../lib/api-docs/console-assets.generated.json', import.meta.url));
const CONSOLE = fileURLToPath(new URL('../console/', import.meta.url));

export interface ConsoleAsset {
  contentType: string;
  body: string;
}

async function bundle(entry: string, loader: 'tsx' | 'css'): Promise<string> {
  const result = await build({
    entryPoints: [`${CONSOLE}${entry}`],
    bundle: true,
    write: false,
    minify: true,
    format: 'esm',
    target: 'es2022',
    platform: 'browser',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    legalComments: 'none',
    logLevel: 'silent',
    ...(loader === 'css' ? { loader: { '.css': 'css' } } : {}),
  });
  return result.outputFiles[0]!.text;
}

const hashed = (stem: string, extension: string, body: string) => `${stem}-${sha256Hex(body).slice(0, 12)}.${extension}`;

export async function buildConsoleAssets(): Promise<Record<string, ConsoleAsset>> {
  const [script, style] = await Promise.all([bundle('src/main.tsx', 'tsx'), bundle('src/styles.css', 'css')]);
  const js = hashed('app', 'js', script);
  const css = hashed('app', 'css', style);
  const page = readFileSync(`${CONSOLE}index.html`, 'utf8').replace('{{js}}', js).replace('{{css}}', css);
  return {
    'index.html': { contentType: 'text/html; charset=utf-8', body: page },
    [js]: { contentType: 'text/javascript; charset=utf-8', body: script },
    [css]: { contentType: 'text/css; charset=utf-8', body: style },
  };
}

export const renderConsoleAssets = (assets: Record<string, ConsoleAsset>): string => `${JSON.stringify(assets, null, 1)}\n`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(CONSOLE_ASSETS, renderConsoleAssets(await buildConsoleAssets()));
  console.log(`wrote ${CONSOLE_ASSETS}`);
}

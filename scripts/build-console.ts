import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { PUBLIC_DIRECTORY } from '../lib/api-docs/public-files.ts';
import { sha256Hex } from '../lib/hash.ts';

/**
 * `npm run console`: builds the operator console (console/) into the folder the api-docs function serves it from,
 * lib/api-docs/public/console/ — the page, and its script and style under content-hashed names. Committed like the
 * OpenAPI document: the Lambda bundle (beside which the folder is copied) and the local gateway read the same bytes,
 * nothing is built at run time, and a test fails when the folder is stale.
 */
export const CONSOLE_FOLDER = fileURLToPath(new URL('console/', PUBLIC_DIRECTORY));
const CONSOLE = fileURLToPath(new URL('../console/', import.meta.url));

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

/** The console's files by name: the page, its script and its style (served with the type of their extension). */
export async function buildConsoleAssets(): Promise<Record<string, string>> {
  const [script, style] = await Promise.all([bundle('src/main.tsx', 'tsx'), bundle('src/styles.css', 'css')]);
  const js = hashed('app', 'js', script);
  const css = hashed('app', 'css', style);
  const page = readFileSync(`${CONSOLE}index.html`, 'utf8').replace('{{js}}', js).replace('{{css}}', css);
  return {
    'index.html': page,
    [js]: script,
    [css]: style,
  };
}

/** What the folder holds now: each file's name and text. */
export function readConsoleFolder(): Record<string, string> {
  return Object.fromEntries(readdirSync(CONSOLE_FOLDER).map((name) => [name, readFileSync(`${CONSOLE_FOLDER}${name}`, 'utf8')]));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const assets = await buildConsoleAssets();
  // The previous build's hashed files go: the folder holds exactly what the page names.
  rmSync(CONSOLE_FOLDER, { recursive: true, force: true });
  mkdirSync(CONSOLE_FOLDER, { recursive: true });
  for (const [name, text] of Object.entries(assets)) writeFileSync(`${CONSOLE_FOLDER}${name}`, text);
  console.log(`wrote ${CONSOLE_FOLDER}`);
}

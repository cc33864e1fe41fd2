import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { inject } from 'vitest';
import type { FunctionName } from '../../../infra/constructs/function-specs.ts';

export interface ShippedBundle {
  file: string;
  contents: Buffer;
  metafile: Metafile;
  mapBytes: number;
}

/** `name`'s bundle as the stack builds it, built once per run (function-bundles.global-setup.ts). */
export function shippedBundle(name: FunctionName): ShippedBundle {
  const dir = join(inject('functionBundles'), name);
  const file = join(dir, 'index.mjs');
  return {
    file,
    contents: readFileSync(file),
    metafile: JSON.parse(readFileSync(join(dir, 'metafile.json'), 'utf8')) as Metafile,
    mapBytes: statSync(`${file}.map`).size,
  };
}

import type { Metafile } from 'esbuild';
import { isNodeHttp } from '../../../infra/bundling.ts';

/** The node:http imports a bundle makes as ES modules (esbuild keeps Node's built-ins external). */
export const esmHttpImports = (metafile: Metafile): string[] =>
  Object.values(metafile.outputs).flatMap((output) =>
    output.imports
      .filter((entry) => entry.external && entry.kind === 'import-statement' && isNodeHttp(entry.path))
      .map((entry) => entry.path),
  );

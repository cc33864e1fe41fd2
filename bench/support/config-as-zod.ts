import { join } from 'node:path';
import type { Variable } from '../../lib/config/variable-kinds.ts';
import { CONFIG_VARIABLES } from '../../lib/config/variables.ts';
import { PROJECT_ROOT } from './report.ts';

/**
 * The configuration as zod would declare it: every variable of lib/config/variables.ts as a zod/mini schema of its
 * kind, with its presence, default and description, one object parsed from the environment. What lib/config.ts is
 * priced against (BENCHMARKS.md, cold start, the configuration probes; docs/ARCHITECTURE.md says why the loader
 * stays). The translation is generous to zod: a text variable's rule (a minimum length, an ARN's pattern) becomes a
 * non-empty check, the cheapest zod has.
 */
export function configAsZodSource(): string {
  const fields = (Object.entries(CONFIG_VARIABLES) as [string, Variable][]).map(([name, variable]) => {
    let schema = `z.string().check(z.minLength(1), z.describe(${JSON.stringify(variable.description)}))`;
    const values = variable.values ?? '';
    if (values.startsWith('integer ')) {
      const [min, max] = values.slice('integer '.length).split('–').map(Number);
      schema =
        `z.pipe(z.string().check(z.regex(/^\\s*\\d+\\s*$/)), z.transform(Number)).check(` +
        `z.refine((n) => n >= ${min} && n <= ${max}, 'must be an integer from ${min} to ${max}'))`;
    } else if (values === 'http(s) URL') {
      schema =
        "z.pipe(z.string(), z.transform((raw) => raw.trim())).check(z.refine((url) => /^https?:\\/\\//i.test(url) && URL.canParse(url), 'must be an http(s) URL'))";
    } else if (values.startsWith('`true`')) {
      schema = "z.pipe(z.enum(['true', 'false']), z.transform((flag) => flag === 'true'))";
    } else if (values.startsWith('`')) {
      schema = `z.enum(${JSON.stringify(values.split(', ').map((option) => option.replaceAll('`', '')))})`;
    }
    if (variable.presence === 'optional') schema = `z.optional(${schema})`;
    if (variable.presence === 'defaulted') schema = `z._default(${schema}, ${JSON.stringify(variable.default)})`;
    return `  ${name}: ${schema},`;
  });
  return [
    `import * as z from '${join(PROJECT_ROOT, 'lib', 'zod.ts')}';`,
    'export const CONFIG = z.object({',
    ...fields,
    '});',
    'export const config = CONFIG.safeParse(process.env);',
  ].join('\n');
}

import { readFile } from 'node:fs/promises';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../lib/http/routes.ts';
import { configSchema, configVariables } from '../../../lib/config.ts';
import { PROBLEMS } from '../../../lib/http/problem.ts';
import { blockContent, generatedBlocks, README_PATH, renderReadme } from '../../../scripts/readme-tables.ts';

const readme = await readFile(README_PATH, 'utf8');

/** The rows of the first markdown table in `markdown`, as cell texts (header and delimiter row dropped). */
function tableRows(markdown: string): string[][] {
  const lines = markdown.split('\n').filter((line) => line.startsWith('|'));
  return lines.slice(2).map((line) =>
    line
      .slice(1, -1)
      .split(/(?<!\\)\|/)
      .map((cell) => cell.trim().replaceAll('\\|', '|')),
  );
}

const unquote = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

describe('README generated blocks', () => {
  it('each block equals a fresh generation (run `npm run docs` after changing a source)', async () => {
    const fresh = await renderReadme(readme);
    for (const name of Object.keys(await generatedBlocks())) {
      expect(blockContent(readme, name), `<!-- generated:${name} --> is stale: run \`npm run docs\``).toBe(
        blockContent(fresh, name),
      );
    }
    expect(fresh).toBe(readme);
  });

  it('every env var the config schema reads is in the README config table, and the table has no other', () => {
    const documented = tableRows(blockContent(readme, 'config')!).map((row) => unquote(row[0]!));
    const read = Object.keys(configSchema.shape);
    expect(read.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...read].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('the config table states each default the schema applies, and marks required variables', () => {
    const rows = new Map(tableRows(blockContent(readme, 'config')!).map((row) => [unquote(row[0]!), row]));
    for (const variable of configVariables()) {
      const [, defaultCell, meaning] = rows.get(variable.name)!;
      if (variable.default !== undefined) expect(defaultCell, variable.name).toBe(`\`${variable.default}\``);
      else expect(defaultCell, variable.name).toBe(variable.required ? '**required**' : '—');
      expect(meaning, variable.name).toContain(variable.description);
    }
    expect(rows.get('TABLE_NAME')![1]).toBe('**required**');
    expect(rows.get('AGGREGATION_DEADLINE_SECONDS')![1]).toBe('`1200`');
  });

  it('every route of lib/http/routes.ts is in the API table with its auth, and the table has no other', () => {
    const documented = tableRows(blockContent(readme, 'routes')!).map(([method, path, auth]) => [
      `${unquote(method!)} ${unquote(path!)}`,
      auth,
    ]);
    expect(documented).toEqual(
      ROUTES.map((route) => [`${route.method} ${route.path}`, route.auth === 'api_key' ? 'API key' : 'no API key']),
    );
  });

  it('every problem code is in the troubleshooting table with its status, a cause and a fix', () => {
    const rows = tableRows(blockContent(readme, 'problems')!);
    expect(rows.map((row) => unquote(row[0]!))).toEqual(Object.keys(PROBLEMS));
    for (const [code, status, title, cause, fix] of rows) {
      const problem = PROBLEMS[unquote(code!) as keyof typeof PROBLEMS];
      expect([status, title, cause, fix]).toEqual([String(problem.status), problem.title, problem.cause, problem.fix]);
      expect(cause!.length, code).toBeGreaterThan(20);
      expect(fix!.length, code).toBeGreaterThan(20);
    }
  });

  it('the receiver snippet is scripts/examples/verify-webhook.ts, byte for byte', async () => {
    const example = await readFile(new URL('../../../scripts/examples/verify-webhook.ts', import.meta.url), 'utf8');
    const snippet = /```ts\n([\s\S]*?)\n```/.exec(blockContent(readme, 'verify-webhook')!)?.[1];
    expect(snippet).toBe(example.trimEnd());
  });

  it('the benchmark summary and cost table come from BENCHMARKS.md, with the date they were measured', async () => {
    const benchmarks = await readFile(new URL('../../../BENCHMARKS.md', import.meta.url), 'utf8');
    const total = /\| \*\*total\*\* \|.*\| \*\*([\d.,]+)\*\* \|/.exec(benchmarks)![1];
    expect(blockContent(readme, 'cost')).toMatch(
      /From the scale benchmark \(BENCHMARKS\.md section 5, measured \d{4}-\d{2}-\d{2}\)/,
    );
    expect(blockContent(readme, 'cost')).toContain(`**${total}**`);
    expect(blockContent(readme, 'benchmarks')).toContain(`**$${total}**`);
    const summary = benchmarks.slice(benchmarks.indexOf('## Summary'), benchmarks.indexOf('\n## 1.'));
    expect(tableRows(blockContent(readme, 'benchmarks')!).length).toBe(tableRows(summary).length);
  });
});

describe('README', () => {
  it('has the sections in the order of issue 9', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1]);
    const expected = [
      'Quick start',
      'Concepts',
      'API reference',
      'Verifying webhooks in a receiver',
      'Configuration reference',
      "Running against MX's integration environment",
      'Deploy to AWS',
      'Simulator control API',
      'Troubleshooting',
      'Benchmarks',
    ];
    expect(headings.filter((heading) => expected.includes(heading!))).toEqual(expected);
    expect(readme.indexOf('```mermaid')).toBeLessThan(readme.indexOf('## Quick start'));
    expect(readme).toContain('/openapi.json');
  });

  it('every in-page link points to a heading', () => {
    const slug = (heading: string) =>
      heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .replace(/\s/g, '-');
    const anchors = new Set([...readme.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1]!)));
    const links = [...readme.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    expect(links.length).toBeGreaterThan(3);
    for (const link of links) expect(anchors, `#${link}`).toContain(link);
  });

  it('is formatted as prettier formats markdown (prettier --check skips *.md)', async () => {
    const options = { ...(await prettier.resolveConfig(README_PATH)), parser: 'markdown' as const };
    expect(await prettier.check(readme, options)).toBe(true);
  });
});

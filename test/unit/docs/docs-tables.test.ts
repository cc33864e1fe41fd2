import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { ROUTES } from '../../../lib/route-table.ts';
import { CONFIG_VARIABLES, configVariables } from '../../../lib/config/variables.ts';
import { PROBLEMS } from '../../../lib/http/problem.ts';
import {
  BLOCK_HOMES,
  type BlockName,
  blockContent,
  documentPath,
  GENERATED_DOCUMENTS,
  renderDocument,
} from '../../../scripts/docs-tables.ts';

const texts = Object.fromEntries(
  await Promise.all(GENERATED_DOCUMENTS.map(async (document) => [document, await readFile(documentPath(document), 'utf8')])),
) as Record<string, string>;
/** The block `name` as it stands in the document that holds it. */
const block = (name: BlockName): string | undefined => blockContent(texts[BLOCK_HOMES[name]]!, name);
const readme = await readFile(documentPath('README.md'), 'utf8');

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

describe('generated blocks of the documents', () => {
  it('each block equals a fresh generation (run `npm run docs` after changing a source)', async () => {
    for (const document of GENERATED_DOCUMENTS) {
      const fresh = await renderDocument(document, texts[document]!);
      for (const name of Object.keys(BLOCK_HOMES)) {
        expect(
          blockContent(texts[document]!, name),
          `${document} <!-- generated:${name} --> is stale: run \`npm run docs\``,
        ).toBe(blockContent(fresh, name));
      }
      expect(fresh).toBe(texts[document]);
    }
  });

  it('every block stands in exactly one document, its home', async () => {
    for (const name of Object.keys(BLOCK_HOMES) as BlockName[]) {
      const holders = [...new Set([...GENERATED_DOCUMENTS, 'README.md'])].filter((document) =>
        (texts[document] ?? readme).includes(`<!-- generated:${name} -->`),
      );
      expect(holders, name).toEqual([BLOCK_HOMES[name]]);
    }
  });

  it('every env var the config reads is in the README config table, and the table has no other', () => {
    const documented = tableRows(block('config')!).map((row) => unquote(row[0]!));
    const read = Object.keys(CONFIG_VARIABLES);
    expect(read.length).toBeGreaterThan(20);
    expect([...documented].sort()).toEqual([...read].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('the config table states each default the schema applies, and marks required variables', () => {
    const rows = new Map(tableRows(block('config')!).map((row) => [unquote(row[0]!), row]));
    for (const variable of configVariables()) {
      const [, defaultCell, meaning] = rows.get(variable.name)!;
      if (variable.default !== undefined) expect(defaultCell, variable.name).toBe(`\`${variable.default}\``);
      else expect(defaultCell, variable.name).toBe(variable.required ? '**required**' : '—');
      expect(meaning, variable.name).toContain(variable.description);
    }
    expect(rows.get('TABLE_NAME')![1]).toBe('**required**');
    expect(rows.get('AGGREGATION_DEADLINE_SECONDS')![1]).toBe('`1200`');
  });

  it('every route of lib/route-table.ts is in the API table with its auth, and the table has no other', () => {
    const documented = tableRows(block('routes')!).map(([method, path, auth]) => [`${unquote(method!)} ${unquote(path!)}`, auth]);
    expect(documented).toEqual(
      ROUTES.map((route) => [`${route.method} ${route.path}`, route.auth === 'api_key' ? 'API key' : 'no API key']),
    );
  });

  it('every problem code is in the troubleshooting table with its status, a cause and a fix', () => {
    const rows = tableRows(block('problems')!);
    expect(rows.map((row) => unquote(row[0]!))).toEqual(Object.keys(PROBLEMS));
    for (const [code, status, title, cause, fix] of rows) {
      const problem = PROBLEMS[unquote(code!) as keyof typeof PROBLEMS];
      expect([status, title, cause, fix]).toEqual([String(problem.status), problem.title, problem.cause, problem.fix]);
      expect(cause!.length, code).toBeGreaterThan(20);
      expect(fix!.length, code).toBeGreaterThan(20);
    }
  });

  it.each<[BlockName, string]>([
    ['verify-webhook', 'node-http.ts'],
    ['client-app', 'client-app.ts'],
  ])('the %s snippet is clients/typescript/examples/%s, byte for byte', async (name, file) => {
    const example = await readFile(new URL(`../../../clients/typescript/examples/${file}`, import.meta.url), 'utf8');
    const snippet = /```ts\n([\s\S]*?)\n```/.exec(block(name)!)?.[1];
    expect(snippet).toBe(example.trimEnd());
  });

  it('the benchmark summary and cost table come from BENCHMARKS.md, with the date they were measured', async () => {
    const benchmarks = await readFile(new URL('../../../BENCHMARKS.md', import.meta.url), 'utf8');
    const total = /\| \*\*total\*\* \|.*\| \*\*([\d.,]+)\*\* \|/.exec(benchmarks)![1];
    expect(block('cost')).toMatch(/From the scale benchmark \(BENCHMARKS\.md section 5, measured \d{4}-\d{2}-\d{2}\)/);
    expect(block('cost')).toContain(`**${total}**`);
    expect(block('benchmarks')).toContain(`**$${total}**`);
    const summary = benchmarks.slice(benchmarks.indexOf('## Summary'), benchmarks.indexOf('\n## 1.'));
    expect(tableRows(block('benchmarks')!).length).toBe(tableRows(summary).length);
  });
});

describe('README', () => {
  it("is the newcomer's page: what it is, the flow, the two commands, the demo, links; under 12 KB", () => {
    expect(Buffer.byteLength(readme)).toBeLessThan(12 * 1024);
    expect(readme.indexOf('```mermaid')).toBeLessThan(readme.indexOf('## Quick start'));
    expect(readme).toContain('npm ci');
    expect(readme).toContain('npm start');
    expect(readme).toContain('npm test');
    expect(readme).toContain('npm run demo');
    for (const document of [
      'docs/ARCHITECTURE.md',
      'docs/api.md',
      'docs/cli.md',
      'docs/configuration.md',
      'docs/operations.md',
      'sim/README.md',
    ]) {
      expect(readme, document).toContain(`](${document})`);
    }
  });
});

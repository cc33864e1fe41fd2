import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DOCUMENTS = [
  'README.md',
  'BENCHMARKS.md',
  'sim/README.md',
  'clients/typescript/README.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
  ...readdirSync(join(ROOT, 'docs/decisions'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/decisions/${name}`),
];
const SOURCE_FOLDERS = ['functions', 'lib', 'infra', 'cli', 'scripts', 'bench', 'sim', 'test', 'clients', 'console'];

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes. */
const slug = (heading: string) =>
  heading
    .replace(/`/g, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

function anchorsOf(text: string): Set<string> {
  const withoutCode = text.replace(/```[\s\S]*?```/g, '');
  const headings = [...withoutCode.matchAll(/^#+ (.+)$/gm)].map((match) => slug(match[1]!));
  const explicit = [...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!);
  return new Set([...headings, ...explicit]);
}

function sourceFiles(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.tsx?$/.test(path) && !path.includes('node_modules'))
    .map((path) => join(folder, path));
}

describe('the documents', () => {
  it.each(DOCUMENTS)('%s: every relative link reaches a file, and every anchor a heading of it', (document) => {
    const text = readFileSync(join(ROOT, document), 'utf8').replace(/```[\s\S]*?```/g, '');
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1]!).filter((link) => !/^[a-z]+:/.test(link));
    for (const link of links) {
      const [path, anchor] = link.split('#') as [string, string | undefined];
      const target = path === '' ? join(ROOT, document) : join(ROOT, dirname(document), path);
      expect(existsSync(target), `${document}: ${link} (no such file)`).toBe(true);
      if (anchor !== undefined && statSync(target).isFile() && target.endsWith('.md')) {
        expect(anchorsOf(readFileSync(target, 'utf8')), `${document}: ${link}`).toContain(anchor);
      }
    }
  });

  it.each(DOCUMENTS.filter((document) => document !== 'BENCHMARKS.md'))(
    '%s is formatted as prettier formats markdown (prettier --check skips *.md)',
    async (document) => {
      const path = join(ROOT, document);
      const options = { ...(await prettier.resolveConfig(path)), parser: 'markdown' as const };
      expect(await prettier.check(readFileSync(path, 'utf8'), options)).toBe(true);
    },
  );

  it('docs/ARCHITECTURE.md draws the refresh → poll → webhook and the MX-push flows as sequence diagrams', () => {
    const architecture = readFileSync(join(ROOT, 'docs/ARCHITECTURE.md'), 'utf8');
    const diagrams = [...architecture.matchAll(/```mermaid\n(sequenceDiagram[\s\S]*?)```/g)].map((match) => match[1]!);
    expect(diagrams).toHaveLength(2);
    expect(diagrams[0]).toContain('worker-poll');
    expect(diagrams[1]).toContain('mx-events');
  });
});

describe('code comments', () => {
  it('cite only documents that are in the repository', () => {
    const missing: string[] = [];
    for (const file of SOURCE_FOLDERS.flatMap(sourceFiles)) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const match of text.matchAll(/(?<![\w/.\\-])((?:\.{1,2}\/|\/)?[\w./-]*[\w-]+\.md)\b/g)) {
        const cited = match[1]!;
        const candidates = [join(ROOT, cited), join(ROOT, dirname(file), cited)];
        if (cited.startsWith('/') || !candidates.some((path) => existsSync(path))) missing.push(`${file}: ${cited}`);
      }
    }
    expect(missing.map((entry) => relative(ROOT, join(ROOT, entry)))).toEqual([]);
  });
});

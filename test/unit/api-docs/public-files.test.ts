import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PublicFiles } from '../../../lib/api-docs/public-files.ts';

const dir = mkdtempSync(join(tmpdir(), 'nexus-relay-public-'));
mkdirSync(join(dir, 'console', 'nested'), { recursive: true });
writeFileSync(join(dir, 'openapi.json'), '{"openapi":"3.1.0"}\n');
writeFileSync(join(dir, 'console', 'index.html'), '<!doctype html>');
writeFileSync(join(dir, 'console', 'app-0123.js'), 'export {}');
writeFileSync(join(dir, 'console', 'app-0123.css'), 'body{}');
writeFileSync(join(dir, 'console', 'notes.txt'), 'plain');
writeFileSync(join(dir, 'console', 'a#b%20c?.js'), 'odd');
const root = pathToFileURL(`${dir}/`);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PublicFiles', () => {
  it('serves each file of its folder with the type of its extension', () => {
    const files = new PublicFiles('console/', root);
    expect(files.get('index.html')).toEqual({ contentType: 'text/html; charset=utf-8', body: '<!doctype html>' });
    expect(files.get('app-0123.js')?.contentType).toBe('text/javascript; charset=utf-8');
    expect(files.get('app-0123.css')?.contentType).toBe('text/css; charset=utf-8');
    expect(files.get('notes.txt')?.contentType).toBe('application/octet-stream');
    // A listed name is read as the file it names, whatever URL syntax it holds.
    expect(files.get('a#b%20c?.js')?.body).toBe('odd');
    expect(new PublicFiles('', root).get('openapi.json')).toEqual({
      contentType: 'application/json',
      body: '{"openapi":"3.1.0"}\n',
    });
  });

  it.each(['../openapi.json', 'nested', 'nested/', '', '.', '..', 'valueOf', '__proto__', 'INDEX.HTML', 'index.html\0'])(
    '%j is not a file of the folder: undefined, nothing outside it read',
    (name) => {
      expect(new PublicFiles('console/', root).get(name)).toBeUndefined();
    },
  );

  it('reads a file once and keeps it: a later change on disk is not seen (the bundle does not change under it)', () => {
    const files = new PublicFiles('', root);
    expect(files.get('openapi.json')?.body).toBe('{"openapi":"3.1.0"}\n');
    writeFileSync(join(dir, 'openapi.json'), '{}');
    expect(files.get('openapi.json')?.body).toBe('{"openapi":"3.1.0"}\n');
  });
});

/**
 * The files api-docs serves as they are, generated at build time beside the bundle, so none of their bytes is parsed
 * at a cold start: each is read on its first request and kept.
 */
export const PUBLIC_DIRECTORY = new URL('./public/', import.meta.url);

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  json: 'application/json',
};

export interface PublicFile {
  contentType: string;
  body: string;
}

export class PublicFiles {
  readonly #directory: URL;
  /** Listed on first use: a name not listed is never read. */
  #names: Set<string> | undefined;
  readonly #read = new Map<string, PublicFile>();

  /** `folder`: a subfolder of `public/` (`console/`), or `public/` itself. */
  constructor(folder = '', root: URL = PUBLIC_DIRECTORY) {
    this.#directory = new URL(folder, root);
  }

  get(name: string): PublicFile | undefined {
    const cached = this.#read.get(name);
    if (cached) return cached;
    const fs = process.getBuiltinModule('node:fs');
    this.#names ??= new Set(
      fs
        .readdirSync(this.#directory, { withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name),
    );
    if (!this.#names.has(name)) return undefined;
    const extension = name.slice(name.lastIndexOf('.') + 1);
    const file = {
      contentType: CONTENT_TYPES[extension] ?? 'application/octet-stream',
      body: fs.readFileSync(new URL(encodeURIComponent(name), this.#directory), 'utf8'),
    };
    this.#read.set(name, file);
    return file;
  }
}

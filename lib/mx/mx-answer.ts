import type * as z from '../zod.ts';
import { isJsonMediaType } from '../media-type.ts';
import { type MxCallSite, MxError } from './errors.ts';

/** One answer as MX sent it. */
export interface MxAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** Turns a 2xx answer into the body handed back; throws MX_INVALID_RESPONSE when it cannot. */
export type Decoder<Body> = (answer: MxAnswer, site: MxCallSite) => Body;

export function decodeJson(answer: MxAnswer, site: MxCallSite, schema?: z.ZodMiniType): unknown {
  const body = parseJson(answer, site);
  if (!schema) return body;
  const result = schema.safeParse(body);
  if (!result.success) {
    const fields = [...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)'))].slice(0, 5);
    const message = `MX answered ${site.method} ${site.route} with an unexpected body shape (at ${fields.join(', ')})`;
    throw new MxError('MX_INVALID_RESPONSE', message, {
      ...site,
      status: answer.status,
      contentType: contentTypeOf(answer),
      cause: result.error,
    });
  }
  return result.data;
}

/**
 * MX's JSON text, checked by media type and `closedOnce` rather than parsed (BENCHMARKS.md, read overhead). HTTP framing
 * alone cannot tell a cut body: one ending with its connection has no length, and a Content-Length may match a cut body.
 */
export function jsonText(answer: MxAnswer, site: MxCallSite): string {
  const { headers, text } = answer;
  if (text === '') return text;
  const type = headers['content-type'];
  if (typeof type !== 'string' || !isJsonMediaType(type) || !closedOnce(text)) throw notJson(answer, site);
  return text;
}

const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/** Whether the quote at `at` follows an odd run of backslashes. */
function escaped(text: string, at: number): boolean {
  let run = 0;
  while (text.charCodeAt(at - run - 1) === 0x5c) run += 1;
  return run % 2 === 1;
}

/**
 * Whether `text` is one object or array that closes every bracket and string at its end and not before, so a cut body
 * fails. Bracket depth and string state only; the rest of JSON's grammar is MX's to keep.
 */
export function closedOnce(text: string): boolean {
  let start = 0;
  let end = text.length;
  while (start < end && isSpace(text.charCodeAt(start))) start += 1;
  while (end > start && isSpace(text.charCodeAt(end - 1))) end -= 1;
  const first = text.charCodeAt(start);
  if (first !== 0x7b && first !== 0x5b) return false;
  let depth = 0;
  for (let i = start; i < end; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip to the string's closing quote (indexOf: most of MX's text is strings).
      do {
        i = text.indexOf('"', i + 1);
        if (i === -1 || i >= end) return false;
      } while (escaped(text, i));
    } else if (c === 0x7b || c === 0x5b) depth += 1;
    else if ((c === 0x7d || c === 0x5d) && (depth -= 1) === 0) return i === end - 1 && c === first + 2; // } or ]
  }
  return false;
}

/** The media type of an answer, without parameters (for messages: never a body). */
export function contentTypeOf(answer: Pick<MxAnswer, 'headers'>): string {
  const type = answer.headers['content-type'];
  return (Array.isArray(type) ? type[0] : type)?.split(';')[0]?.trim() || 'untyped';
}

function parseJson(answer: MxAnswer, site: MxCallSite): unknown {
  const { text } = answer;
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // The SyntaxError is not kept as cause: its message quotes the body, which may hold a token.
    throw notJson(answer, site);
  }
}

const notJson = (answer: MxAnswer, site: MxCallSite): MxError =>
  new MxError('MX_INVALID_RESPONSE', `MX answered ${site.method} ${site.route} with a body that is not JSON`, {
    ...site,
    status: answer.status,
    contentType: contentTypeOf(answer),
  });

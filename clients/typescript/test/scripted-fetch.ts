import type { Fetch } from '../src/transport.ts';

export interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

type Answer = Response | Error | ((sent: Sent) => Response | Error);

/**
 * A transport answering from a script, one answer per request in order, recording what was sent (the network seam
 * of the client; the kit runs against the real relay in the end-to-end tests).
 */
export function scriptedFetch(...answers: Answer[]): Fetch & { sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch = async (request: Request) => {
    const record = {
      method: request.method,
      url: new URL(request.url),
      headers: request.headers,
      body: await request.text(),
    };
    sent.push(record);
    const next = answers.shift();
    if (next === undefined) throw new Error(`unscripted request ${request.method} ${request.url}`);
    const answer = typeof next === 'function' ? next(record) : next;
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return Object.assign(fetch, { sent });
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers },
  });

/** A clock that moves only when the client sleeps on it; `waits` lists every sleep. */
export function manualClock(start = Date.parse('2026-11-23T08:00:00Z')) {
  let now = start;
  const waits: number[] = [];
  return {
    waits,
    now: () => now,
    sleep: async (ms: number) => {
      waits.push(ms);
      now += ms;
    },
  };
}

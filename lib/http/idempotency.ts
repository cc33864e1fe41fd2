import { setTimeout as sleep } from 'node:timers/promises';
import type { DigestKeys } from '../digest-keys.ts';
import type { Clock } from '../clock.ts';
import { digestOf } from '../hash.ts';
import { sealedFor } from '../secret-box.ts';
import { type HeldKey, IdempotencyKeys } from '../idempotency-keys.ts';
import type { Log } from '../logger.ts';
import type { IdempotencyStore } from '../store/idempotency-repo.ts';
import { toHttpProblem } from './error-mapper.ts';
import type { AuthenticatedRequest, AuthenticatedRoute, HttpResponse } from './route.ts';
import { bodyFault } from './body-fault.ts';
import { HttpProblem } from './problem.ts';

export interface IdempotencyDeps {
  store: IdempotencyStore;
  clock: Clock;
  log: Log;
  digests: () => Promise<DigestKeys>;
  /** The key of an execution that died is taken over after this. */
  leaseMs?: number;
  /** How long a duplicate waits for the first execution's answer before giving up with 409. */
  maxWaitMs?: number;
  /** For answers that carry a secret: stored bodies are sealed at rest. Unsealed ones are opened as they are. */
  sealBodies?: { seal(text: string, binding: string): Promise<string>; open(stored: string, binding: string): Promise<string> };
}

/** An answer as it is stored for replay, the body serialised. */
export interface StoredResponse {
  [field: string]: unknown;
  status: number;
  headers: Record<string, string>;
  body?: string;
}

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Marks a replayed answer. */
export const REPLAYED_HEADER = 'idempotent-replayed';

export const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;
// Longer than any API function's timeout, so a live execution never loses its key to a duplicate.
const DEFAULT_LEASE_MS = 30_000;
const DEFAULT_MAX_WAIT_MS = 2_000;
const MAX_PAUSE_MS = 250;

/**
 * Makes `route` honour `Idempotency-Key`: the same request again gets the stored answer byte for byte; a different
 * one, 422. Keys are scoped by the API key's identity, method and route, and access is checked first, so no key reaches
 * another's answer. A duplicate of a running request waits, then gets 409. Answers asking for a retry release the key.
 */
export function idempotent<D>(route: AuthenticatedRoute<D>, deps: IdempotencyDeps): AuthenticatedRoute<D> {
  if (route.access === 'by_resource') {
    // Its access is checked inside the route, after a stored answer would already have been replayed.
    throw new Error('An idempotent route declares its access (server_key or path_user), checked before any replay');
  }
  return {
    ...route,
    async handle(request, routeDeps) {
      const key = idempotencyKeyOf(request);
      const run = () => route.handle(request, routeDeps);
      return key === undefined ? run() : handleOnce(route, run, request, key, deps);
    },
  };
}

function idempotencyKeyOf(request: AuthenticatedRequest): string | undefined {
  const key = request.headers[IDEMPOTENCY_KEY_HEADER];
  if (key === undefined) return undefined;
  if (!KEY_FORMAT.test(key)) {
    throw new HttpProblem('validation_failed', 'Idempotency-Key must be 1–255 visible ASCII characters.', {
      field: `header.${IDEMPOTENCY_KEY_HEADER}`,
    });
  }
  return key;
}

async function handleOnce(
  route: Pick<AuthenticatedRoute, 'access'>,
  run: () => Promise<HttpResponse>,
  request: AuthenticatedRequest,
  key: string,
  deps: IdempotencyDeps,
): Promise<HttpResponse> {
  const keys = new IdempotencyKeys(deps.store, deps.clock, deps.leaseMs ?? DEFAULT_LEASE_MS, deps.digests);
  const scope = [request.principal.keyId, request.method, request.routeKey, key];
  // A sealed answer opens only under its own scope (the binding is not stored).
  const binding = sealedFor.answer(digestOf(scope));
  const fault = bodyFault(request.body, MAX_BODY_DEPTH);
  if (fault) throw new HttpProblem('validation_failed', fault.detail, { field: fault.field });
  const fingerprint = [request.method, request.routeKey, request.pathParams, request.query, request.body];
  const pauses = pauseSchedule(deps.maxWaitMs ?? DEFAULT_MAX_WAIT_MS);
  // A user's route: the record is the user's too, for its erasure to find.
  const userId = route.access === 'path_user' ? request.pathParams.user_id : undefined;
  for (let attempt = 0; ; attempt++) {
    const claim = await keys.claim<StoredResponse>(scope, fingerprint, userId);
    if (claim.state === 'claimed') return execute(run, request, claim.key, binding, deps);
    if (claim.state === 'reused') {
      throw new HttpProblem('idempotency_key_reused', 'This Idempotency-Key was used for a different request; use a new key.');
    }
    if (claim.state === 'completed') return replay(await openStored(claim.outcome, binding, deps));
    if (attempt === pauses.length) break;
    // In progress, or vanished in between (released, or its lease ran out): the next claim may win.
    await sleep(pauses[attempt]!);
  }
  throw new HttpProblem('request_in_progress', 'A request with this Idempotency-Key is still being processed.', {
    headers: { 'retry-after': '1' },
  });
}

async function execute(
  run: () => Promise<HttpResponse>,
  request: AuthenticatedRequest,
  key: HeldKey<StoredResponse>,
  binding: string,
  deps: IdempotencyDeps,
): Promise<HttpResponse> {
  const { log } = deps;
  const release = () =>
    key.release().catch((error: unknown) => {
      // The lease frees the key later; the caller still deserves the original answer.
      log.warn('idempotency key release failed', { error: String(error) });
    });

  let response: HttpResponse;
  try {
    response = await run();
  } catch (error) {
    const problem = toHttpProblem(error, log);
    if (asksForRetry(problem.status)) {
      await release();
      throw problem;
    }
    response = problemResponse(problem, request.requestId);
  }
  if (asksForRetry(response.status)) {
    await release();
    return response;
  }

  // The first caller gets the stored form too, so a replay cannot differ from what it saw.
  const stored = toStored(response);
  try {
    const completed = await key.complete(await sealStored(stored, binding, deps));
    if (!completed) log.warn('idempotency lease lost before the answer was stored', { route_key: request.routeKey });
  } catch (error) {
    // The operation has taken effect: answer it. The key frees itself when its lease runs out.
    log.error('idempotency answer not stored', { error: String(error) });
  }
  return fromStored(stored);
}

/** 5xx, 409 and 429 tell the client to try again: storing them would answer every retry the same way. */
const asksForRetry = (status: number): boolean => status >= 500 || status === 409 || status === 429;

const problemResponse = (problem: HttpProblem, requestId: string): HttpResponse => ({
  status: problem.status,
  body: problem.toBody(requestId),
  headers: { 'content-type': 'application/problem+json', ...problem.headers },
});

const toStored = (response: HttpResponse): StoredResponse => ({
  status: response.status,
  headers: response.headers ?? {},
  ...(response.json !== undefined
    ? { body: response.json }
    : response.body === undefined
      ? {}
      : { body: JSON.stringify(response.body) }),
});

const sealStored = async (stored: StoredResponse, binding: string, { sealBodies }: IdempotencyDeps): Promise<StoredResponse> =>
  sealBodies && stored.body !== undefined ? { ...stored, body: await sealBodies.seal(stored.body, binding) } : stored;

const openStored = async (stored: StoredResponse, binding: string, { sealBodies }: IdempotencyDeps): Promise<StoredResponse> =>
  sealBodies && stored.body !== undefined ? { ...stored, body: await sealBodies.open(stored.body, binding) } : stored;

const fromStored = (stored: StoredResponse): HttpResponse => ({
  status: stored.status,
  headers: stored.headers,
  // Sent as stored: a replay is the first answer byte for byte.
  ...(stored.body === undefined ? {} : { json: stored.body }),
});

const replay = (stored: StoredResponse): HttpResponse => {
  const response = fromStored(stored);
  return { ...response, headers: { ...response.headers, [REPLAYED_HEADER]: 'true' } };
};

/** Pauses adding up to at most `totalMs`. Counted, not timed: tests use a ManualClock. */
function pauseSchedule(totalMs: number): number[] {
  const pauses: number[] = [];
  let total = 0;
  for (let pause = 25; total + pause <= totalMs; pause = Math.min(pause * 2, MAX_PAUSE_MS)) {
    pauses.push(pause);
    total += pause;
  }
  return pauses;
}

/** Deeper than any body an operation takes; a body nested a few thousand levels deep overflows canonicalJson's stack. */
const MAX_BODY_DEPTH = 32;

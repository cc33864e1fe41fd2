import { randomBytes } from 'node:crypto';
import type * as z from './zod.ts';

/*
 * Events as a slice declares them (its catalogue: each type's summary and `data` schema), published through a sink
 * typed by the catalogue. lib/notify/events.ts joins every slice's into the one the webhooks serve.
 */

export type EventCatalogue = Record<string, { summary: string; data: z.ZodMiniType }>;

/** A catalogue, its types kept literal. */
export const eventCatalogue = <const C extends EventCatalogue>(catalogue: C): C => catalogue;

/** `id` is the `webhook-id` and the delivery key: stable per occurrence, so republishing never reaches a receiver twice. */
export interface CatalogueEvent<C extends EventCatalogue, T extends keyof C & string = keyof C & string> {
  id: string;
  type: T;
  timestamp: string;
  data: z.output<C[T]['data']>;
}

/** Where a slice publishes its events. */
export interface CatalogueSink<C extends EventCatalogue> {
  publish<T extends keyof C & string>(event: CatalogueEvent<C, T>): Promise<void>;
}

/** Standard Webhooks signs `{id}.{timestamp}.{body}`, so an id must not contain `.`; the rest keeps table keys tidy. */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Ids are deterministic, so one fact published twice is seen once. User ids only ever appear digested. */
export const eventIds = {
  started: (jobId: string) => `msg_${jobId}_started`,
  /** A job ends once, at one step. */
  ended: (jobId: string, step: number, status: string) => `msg_${jobId}_s${step}_${status}`,
  syncUpdates: (jobId: string) => `msg_${jobId}_sync_updates`,
  statusChanged: (memberGuid: string, seq: number, status: string) =>
    `msg_${memberGuid}_status_${seq}_${status.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 32)}`,
  memberDeleted: (memberGuid: string) => `msg_${memberGuid}_deleted`,
  /** A keyed digest: never the id, nor a guessable digest. */
  userDeleted: (userDigest: string) => `msg_user_${userDigest.slice(0, 32)}_deleted`,
  /** How every `aggregation.rejected` id of a user begins: an erasure deletes their deliveries by it. */
  rejectedOf: (userDigest: string) => `msg_refreq_${userDigest.slice(0, 16)}_`,
  /** From the idempotency key or the request's source id (keyed): a redelivered or deferred request is one event. */
  rejected: (userDigest: string, originDigest: string) =>
    `${eventIds.rejectedOf(userDigest)}${originDigest.slice(0, 32)}_rejected`,
  test: () => `msg_test_${randomBytes(12).toString('base64url')}`,
} as const;

/**
 * The ids of a job's own events: started, its sync's updates, and its end when it has ended. An erasure derives them
 * from the user's jobs, so they are never indexed by user.
 */
export const jobEventIds = (job: { id: string; step: number; status: string }): string[] => [
  eventIds.started(job.id),
  eventIds.syncUpdates(job.id),
  ...(job.status === 'aggregating' ? [] : [eventIds.ended(job.id, job.step, job.status)]),
];

/** Whether an id is one `jobEventIds` derives (a job id is `job_` and 25 base-36 characters). */
export const isJobEventId = (id: string): boolean => /^msg_job_[a-z0-9]{25}_(started|sync_updates|s\d+_[a-z_]+)$/.test(id);

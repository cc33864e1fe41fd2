import type { components, operations, paths, webhooks } from './generated/openapi.ts';

/** Named types for what the API answers, taken from the generated OpenAPI types. */
export type Schemas = components['schemas'];
export type Job = Schemas['Job'];
export type JobStatus = Job['status'];
export type Challenge = Schemas['Challenge'];
export type Webhook = Schemas['Webhook'];
export type WebhookWithSecret = Schemas['WebhookWithSecret'];
export type Delivery = Schemas['Delivery'];
export type Attempt = Schemas['Attempt'];
export type Problem = Schemas['Problem'];
export type ProblemCode = Problem['code'];
/** A body MX answered, passed through as MX sent it (with `pagination` on lists). */
export type MxBody = Schemas['MxBody'];
/** One record of an MX list (a member, an account, a transaction…), with MX's fields. */
export type MxRecord = Record<string, unknown>;

type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;
type SuccessBody<Op> = Op extends { responses: infer R } ? JsonOf<R[Extract<keyof R, 200 | 201 | 202>]> : never;
type RequestBody<Op> = Op extends { requestBody: { content: { 'application/json': infer Body } } } ? Body : never;
type Query<Op> = Op extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

export type SyncPage = SuccessBody<operations['get_users_user_id_transactions_sync']>;
export type SyncedTransaction = SyncPage['added'][number];
export type ResumeAnswers = RequestBody<operations['put_users_user_id_members_member_guid_resume']>['challenges'];
export type WebhookCreate = RequestBody<operations['post_webhooks']>;
export type WebhookUpdate = RequestBody<operations['patch_webhooks_webhook_id']>;
export type ReplayRange = RequestBody<operations['post_webhooks_webhook_id_replay']>;
export type ReplayResult = SuccessBody<operations['post_webhooks_webhook_id_replay']>;
export type WebhookTest = SuccessBody<operations['post_webhooks_webhook_id_test']>['test'];
export type DeliveryQuery = Query<operations['get_webhooks_webhook_id_deliveries']>;
export type RefreshQuery = Query<operations['post_users_user_id_members_member_guid_refresh']>;
/** Where MX sends the user after an OAuth window, and whether the member aggregates then. */
export type OAuthWindowRequest = RequestBody<operations['post_users_user_id_members_member_guid_oauth_window']>;
/** A one-time OAuth window URL (a credential: keep it out of logs). */
export type OAuthWindow = SuccessBody<operations['post_users_user_id_members_member_guid_oauth_window']>['oauth_window'];
/** `include_transactions` of a verification or identification (MX's default: false). */
export type PremiumJobQuery = Query<operations['post_users_user_id_members_member_guid_verify']>;
/** MX's widget configuration (`widget_type`, `use_cases`, `current_member_guid`…), as POST /users/{user_id}/widget_urls takes it. */
export type WidgetUrlRequest = RequestBody<operations['post_users_user_id_widget_urls']>;
/** A single-use widget URL: load it once, before `expires_at` (a credential: keep it out of logs). */
export type WidgetUrl = SuccessBody<operations['post_users_user_id_widget_urls']>['widget_url'];
/** The API key making a call: its name and the user it is bound to (null for a server key). */
export type CallerKey = SuccessBody<operations['get_api_keys_current']>['api_key'];

/** A member whose connection status needs its user, with the widget request that lets the user act (GET /members). */
export type MemberNeedingUser = SuccessBody<operations['get_members']>['members'][number];
/** One hour's job ends across users, by outcome (GET /job_outcomes). */
export type OutcomeHour = SuccessBody<operations['get_job_outcomes']>['hours'][number];
/** One of the relay's work queues, with the dead letters waiting in it (GET /queues). */
export type QueueState = SuccessBody<operations['get_queues']>['queues'][number];
/** A member to create at MX: `institution_guid`, the user's `credentials`, `use_cases`… (never logged by the relay). */
export type MemberCreate = RequestBody<operations['post_users_user_id_members']>;
/** What may change on a member: new `credentials` (MX aggregates again), `use_cases`, `metadata`. */
export type MemberUpdate = RequestBody<operations['put_users_user_id_members_member_guid']>;
/** A member written at MX, and the job following the aggregation MX started (null when none). */
export type MemberWritten = SuccessBody<operations['post_users_user_id_members']>;

/** Every event nexus-relay sends, discriminated by `type` (the payloads documented under `webhooks`). */
export type RelayEvent = {
  [Type in keyof webhooks]: RequestBody<webhooks[Type]['post']>;
}[keyof webhooks];
export type RelayEventType = RelayEvent['type'];

export type { components, operations, paths, webhooks };

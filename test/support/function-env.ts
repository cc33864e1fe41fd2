/**
 * The variables a unit test gives before loading a function module. A module reads its configuration once per process
 * (`getConfig()` caches it, as a container does), and unit test files share their worker's modules: every file that
 * loads a function module gives these same variables, so whichever loads first configures them all. Nothing here
 * reaches a table, a queue or MX.
 */
export const FUNCTION_TEST_ENV = {
  TABLE_NAME: 'functions-test',
  POLL_QUEUE_URL: 'http://127.0.0.1:1/000000000000/poll',
  MEMBER_REPORTS_QUEUE_URL: 'http://127.0.0.1:1/000000000000/member-reports',
  RECONCILE_QUEUE_URL: 'http://127.0.0.1:1/000000000000/reconcile',
  ERASURES_QUEUE_URL: 'http://127.0.0.1:1/000000000000/erasures',
  DELIVERY_QUEUE_URL: 'http://127.0.0.1:1/000000000000/delivery',
  // api-jobs counts every queue's dead letters: it is given each DLQ, as the stack gives it.
  POLL_DLQ_URL: 'http://127.0.0.1:1/000000000000/poll-dlq',
  MEMBER_REPORTS_DLQ_URL: 'http://127.0.0.1:1/000000000000/member-reports-dlq',
  RECONCILE_DLQ_URL: 'http://127.0.0.1:1/000000000000/reconcile-dlq',
  ERASURES_DLQ_URL: 'http://127.0.0.1:1/000000000000/erasures-dlq',
  DELIVERY_DLQ_URL: 'http://127.0.0.1:1/000000000000/delivery-dlq',
  DELIVERY_SLOW_DLQ_URL: 'http://127.0.0.1:1/000000000000/delivery-slow-dlq',
  REFRESH_REQUESTS_DLQ_URL: 'http://127.0.0.1:1/000000000000/refresh-requests-dlq',
  MX_BASE_URL: 'http://127.0.0.1:1',
  MX_USE_CASES_ENABLED: 'true',
  MX_REALTIME_BASE_URL: 'http://127.0.0.1:1/mdx-realtime',
  MX_CLIENT_ID: 'client',
  MX_API_KEY: 'key',
  MX_WEBHOOK_USERNAME: 'mx-webhooks',
  MX_WEBHOOK_PASSWORD: 'the-password',
  AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:1',
  AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:1',
  LOCAL_SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  LOG_LEVEL: 'ERROR',
};

import type { ApiEvent } from './api-event.ts';

/**
 * The event with its body turned into a JSON string of the text received, so the HTTP pipeline's JSON parsing
 * hands the operation that text unchanged, whatever its content type or syntax. For senders that must get an
 * answer of the operation's choosing (a webhook sender resends anything answered 400 or 415), and so that
 * authentication comes before any judgement of the body.
 */
export function withBodyAsText(event: ApiEvent): ApiEvent {
  if (event.body === undefined || event.body === '') return event;
  const text = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  return {
    ...event,
    body: JSON.stringify(text),
    isBase64Encoded: false,
    headers: { ...event.headers, 'content-type': 'application/json' },
  };
}

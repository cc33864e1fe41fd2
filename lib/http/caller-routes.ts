import * as z from '../zod.ts';
import type { Route } from './route.ts';

const callerAnswer = z.strictObject({
  api_key: z.strictObject({
    name: z.string().check(z.describe('The name the key was made with')),
    user_id: z
      .nullable(z.string())
      .check(z.describe('The one user a client-app key may touch; null for a server key (any user, and the webhooks)')),
  }),
});

/** Who is calling: what the console (and any client) learns of its own key. Served by api-jobs. */
export const CALLER_ROUTES: readonly Route<unknown>[] = [
  {
    method: 'GET',
    path: '/api_keys/current',
    fn: 'api-jobs',
    summary: 'The API key making this call: its name, and the user it is bound to (if any)',
    auth: 'api_key',
    // Every key may read itself, and only itself.
    access: 'by_resource',
    async handle(request) {
      const { keyName, userId } = request.principal;
      return { status: 200, body: { api_key: { name: keyName, user_id: userId ?? null } } };
    },
    docs: () => ({
      description:
        'What a key may do follows from it: a key bound to a user touches that user only (the console opens it there). Never the key itself.',
      responses: { 200: { description: 'The calling key', body: callerAnswer } },
    }),
  },
];

import { z } from 'zod';
import { assertUserAccess } from '../lib/http/auth.ts';
import type { Operations } from '../lib/http/http-handler.ts';
import { params, parseInput } from '../lib/http/validation.ts';
import { getServices } from '../lib/services.ts';

const services = getServices();

const memberPath = z.object({ user_id: params.userId, member_guid: params.memberGuid });

export const operations: Operations = {
  'GET /users/{user_id}/members/{member_guid}': {
    auth: 'api_key',
    async handle(request) {
      const path = parseInput(memberPath, request.pathParams, 'path');
      assertUserAccess(request.principal, path.user_id);
      const member = await services.nexus.readMember(path.user_id, path.member_guid);
      return { status: 200, body: { member } };
    },
  },
};

export const handler = services.httpHandler(operations);

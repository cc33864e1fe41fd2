import { toIso } from './clock.ts';
import { CATALOGUE } from './institutions.ts';
import { memberOfUser } from './member-routes.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { userEndpoint } from './session-routes.ts';
import type { SimulatorState } from './state.ts';

/**
 * MX's credential field types: 3 LOGIN is its example's; PASSWORD's code did not survive (the simulator's 1 is
 * UNCONFIRMED).
 */
const FIELD_TYPES = { TEXT: { code: 3, name: 'LOGIN' }, PASSWORD: { code: 1, name: 'PASSWORD' } } as const;

/**
 * Nexus's list member credentials: the fields the member's institution asks for (the catalogue's, as create member
 * takes them), with every field of MX's example, never a value. An OAuth member has none; a member of an institution
 * outside the catalogue (a control-API one) has the catalogue's MX Bank fields. MX's page names the path
 * `/member/{member_guid}/credentials` (singular); the plural one that every other member path uses is served too.
 */
export function credentialRoutes(state: SimulatorState): MxRoute[] {
  const handler = userEndpoint(state, ({ params }, user) => {
    const member = memberOfUser(state, user, params.member_guid);
    const institution =
      CATALOGUE.find((entry) => entry.code === member.institution.code) ?? CATALOGUE.find((entry) => entry.code === 'mxbank')!;
    const at = toIso(state.seedData.asOf);
    const credentials = member.isOauth
      ? []
      : institution.credentials.map((credential) => ({
          answer_field_type: null,
          created_at: at,
          display_name: null,
          display_order: credential.display_order,
          editable: true,
          escaped: null,
          field_name: credential.field_name.toUpperCase(),
          field_type: FIELD_TYPES[credential.type].code,
          field_type_name: FIELD_TYPES[credential.type].name,
          guid: credential.guid,
          institution_guid: member.institution.guid,
          label: credential.label,
          max_length: null,
          meta_data: null,
          mfa: false,
          optional: false,
          optional_mfa: null,
          size: null,
          updated_at: at,
          value_identifier: null,
          value_mask: null,
        }));
    return { status: 200, body: { credentials } };
  });
  return [
    { methods: ['GET'], pattern: '/member/{member_guid}/credentials', handler },
    { methods: ['GET'], pattern: '/members/{member_guid}/credentials', handler },
  ];
}

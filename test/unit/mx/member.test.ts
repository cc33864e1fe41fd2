import { describe, expect, it } from 'vitest';
import { challengesResponse } from '../../../lib/mx/challenge.ts';
import { memberResponse, memberSchema } from '../../../lib/mx/member.ts';

describe('memberSchema', () => {
  it('reads a full Nexus member and keeps the fields it does not name', () => {
    const payload = {
      aggregated_at: '2016-10-13T18:07:57.000Z',
      background_aggregation_is_disabled: false,
      connection_status: 'CONNECTED',
      connection_status_id: 6,
      connection_status_message: 'Connected to MX Bank.',
      external_guid: null,
      guid: 'MBR-7c6f361b-e582-15b6-60c0-358f12466b4b',
      institution_code: 'mxbank',
      is_being_aggregated: false,
      is_managed_by_user: true,
      metadata: '{"key":"value"}',
      most_recent_job_guid: 'JOB-1',
      name: 'MX Bank',
      successfully_aggregated_at: '2016-10-13T17:57:38.000Z',
      use_cases: ['PFM'],
      user_guid: 'USR-fa7537f3-48aa-a683-a02a-b18940482f54',
    };
    expect(memberResponse.parse({ member: payload })).toEqual({ member: payload });
  });

  it('reads nulls and absent documented fields as null', () => {
    expect(memberSchema.parse({ guid: 'MBR-1', connection_status: null, connection_status_id: null })).toEqual({
      guid: 'MBR-1',
      user_guid: null,
      connection_status: null,
      connection_status_id: null,
      connection_status_message: null,
      is_being_aggregated: null,
      aggregated_at: null,
      successfully_aggregated_at: null,
      use_cases: null,
    });
  });

  it.each([
    ['without a guid', { connection_status: 'CONNECTED' }],
    ['with a numeric status', { guid: 'MBR-1', connection_status: 6 }],
    ['with a textual aggregating flag', { guid: 'MBR-1', is_being_aggregated: 'true' }],
  ])('refuses a member %s', (_, payload) => {
    expect(memberSchema.safeParse(payload).success).toBe(false);
  });
});

describe('challengesResponse', () => {
  it('keeps extra challenge fields (options, image data)', () => {
    const challenge = {
      guid: 'CRD-1',
      type: 'OPTIONS',
      label: 'Pick one',
      field_name: 'q',
      options: [{ label: 'A', value: 'a' }],
    };
    expect(challengesResponse.parse({ challenges: [challenge] }).challenges).toEqual([challenge]);
  });

  it.each([{ challenges: null }, { challenges: [] }])('reads %j as no challenges', (payload) => {
    expect(challengesResponse.parse(payload).challenges).toEqual([]);
  });

  it('refuses an answer without the challenges key: a job must not wait for MFA with nothing to show', () => {
    expect(challengesResponse.safeParse({}).success).toBe(false);
  });
});

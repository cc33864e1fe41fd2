import { filtered, note, optional, read, rooted, text, write } from '../operation.ts';

/** Institutions, members (their writes and jobs are the relay's own routes) and the user. */
export const MEMBER_OPERATIONS = [
  // MX recommends search over its deprecated list: a GET with `?name`, MX's POST search.
  read('/institutions', 'search-institutions', 'Search institutions by name, to build a member’s credentials', {
    query: ['page', 'records_per_page', 'name'],
    mx: {
      method: 'POST',
      path: '/institutions/search',
      query: ['page', 'records_per_page'],
      body: (query) => ({ institution: { name: query.name ?? '' } }),
    },
  }),
  read('/institutions/{institution_guid}', 'read-institution', 'Read an institution: what it supports, OAuth included'),
  read('/institutions/{institution_guid}/credentials', 'list-institution-credentials', 'The credentials an institution asks for'),
  read('/members', 'list-members', 'List members', filtered),
  read('/members/{member_guid}', 'read-member', 'Read a member'),
  // MX's page spells this one path `/member/…`: sent as MX documents it.
  read('/members/{member_guid}/credentials', 'list-member-credentials', "A member's credential fields (never their values)", {
    mx: { method: 'GET', path: '/member/{member_guid}/credentials' },
  }),
  read('/user', 'read-user', 'Read the user as MX knows it'),
  write(
    'PUT',
    '/user',
    'update-user',
    "Update the user's details at MX",
    rooted('user', optional({ email: text(), metadata: note })),
  ),
];

import type { JobStatus } from '@nexus-relay/client';

/** The console's places, in the URL's fragment (nothing of them reaches a server). */
export type Route =
  | { view: 'overview' }
  | { view: 'jobs'; user?: string | undefined; member?: string | undefined; status?: JobStatus | undefined }
  | { view: 'job'; id: string }
  | { view: 'members'; user?: string | undefined }
  | { view: 'webhooks' }
  | { view: 'webhook'; id: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(search);
  const [section, id, sub] = path.split('/').map(decodeURIComponent);
  if (section === 'overview') return { view: 'overview' };
  if (section === 'jobs' && id) return { view: 'job', id };
  if (section === 'users' && id && sub === 'members') return { view: 'members', user: id };
  if (section === 'members') return { view: 'members' };
  if (section === 'webhooks' && id) return { view: 'webhook', id };
  if (section === 'webhooks') return { view: 'webhooks' };
  return {
    view: 'jobs',
    user: query.get('user') ?? undefined,
    member: query.get('member') ?? undefined,
    status: (query.get('status') ?? undefined) as JobStatus | undefined,
  };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'overview':
      return '#/overview';
    case 'job':
      return `#/jobs/${encodeURIComponent(route.id)}`;
    case 'members':
      return route.user ? `#/users/${encodeURIComponent(route.user)}/members` : '#/members';
    case 'webhook':
      return `#/webhooks/${encodeURIComponent(route.id)}`;
    case 'webhooks':
      return '#/webhooks';
    case 'jobs': {
      const query = new URLSearchParams();
      if (route.user) query.set('user', route.user);
      if (route.member) query.set('member', route.member);
      if (route.status) query.set('status', route.status);
      const search = query.toString();
      return `#/jobs${search ? `?${search}` : ''}`;
    }
  }
}

/** The user a place is about, if any (the console's sections carry it from one to the other). */
export const userOf = (route: Route): string | undefined =>
  route.view === 'jobs' || route.view === 'members' ? route.user : undefined;

export const navigate = (route: Route): void => {
  location.hash = hrefOf(route);
};

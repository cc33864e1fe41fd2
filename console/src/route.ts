import type { JobStatus } from '@nexus-relay/client';

/** The console's places, in the URL's fragment (nothing of them reaches a server). */
export type Route =
  | { view: 'jobs'; user?: string | undefined; status?: JobStatus | undefined }
  | { view: 'job'; id: string }
  | { view: 'webhooks' }
  | { view: 'webhook'; id: string };

export function parseRoute(hash: string): Route {
  const [path = '', search = ''] = hash.replace(/^#\/?/, '').split('?');
  const query = new URLSearchParams(search);
  const [section, id] = path.split('/').map(decodeURIComponent);
  if (section === 'jobs' && id) return { view: 'job', id };
  if (section === 'webhooks' && id) return { view: 'webhook', id };
  if (section === 'webhooks') return { view: 'webhooks' };
  return {
    view: 'jobs',
    user: query.get('user') ?? undefined,
    status: (query.get('status') ?? undefined) as JobStatus | undefined,
  };
}

export function hrefOf(route: Route): string {
  switch (route.view) {
    case 'job':
      return `#/jobs/${encodeURIComponent(route.id)}`;
    case 'webhook':
      return `#/webhooks/${encodeURIComponent(route.id)}`;
    case 'webhooks':
      return '#/webhooks';
    case 'jobs': {
      const query = new URLSearchParams();
      if (route.user) query.set('user', route.user);
      if (route.status) query.set('status', route.status);
      const search = query.toString();
      return `#/jobs${search ? `?${search}` : ''}`;
    }
  }
}

export const navigate = (route: Route): void => {
  location.hash = hrefOf(route);
};

/**
 * MX's connection statuses: id, name and a message fit to show the end user (our wording; MX's own texts differ).
 * Ids and names are MX's table (reference §2.4).
 */
export const CONNECTION_STATUSES = [
  { id: 0, name: 'CREATED', message: 'This connection has not been aggregated yet.' },
  { id: 1, name: 'PREVENTED', message: 'Several sign-in attempts failed in a row. Please update your credentials.' },
  { id: 2, name: 'DENIED', message: 'The institution did not accept these credentials. Please update them.' },
  { id: 3, name: 'CHALLENGED', message: 'The institution needs more information to verify your identity.' },
  { id: 4, name: 'REJECTED', message: 'The answer to the security question was not accepted. Please try again.' },
  { id: 5, name: 'LOCKED', message: 'Your account at the institution is locked. Please contact the institution.' },
  { id: 6, name: 'CONNECTED', message: 'Connected.' },
  { id: 7, name: 'IMPEDED', message: 'The institution needs you to take an action on its website.' },
  { id: 8, name: 'RECONNECTED', message: 'Reconnecting to the institution.' },
  { id: 9, name: 'DEGRADED', message: 'We are having trouble connecting to this institution. Please try again later.' },
  { id: 10, name: 'DISCONNECTED', message: 'Data from this institution cannot be imported right now.' },
  { id: 11, name: 'DISCONTINUED', message: 'This institution is no longer supported.' },
  { id: 12, name: 'CLOSED', message: 'This connection has been closed.' },
  { id: 13, name: 'DELAYED', message: 'Importing data is taking longer than usual. Please check back later.' },
  { id: 14, name: 'FAILED', message: 'We could not connect to this institution. Please try again later.' },
  { id: 15, name: 'UPDATED', message: 'Credentials updated. Connecting.' },
  { id: 16, name: 'DISABLED', message: 'Aggregation is disabled for this connection.' },
  { id: 17, name: 'IMPORTED', message: 'Please sign in to the institution again to keep this connection working.' },
  { id: 18, name: 'RESUMED', message: 'Answer received. Connecting.' },
  { id: 19, name: 'EXPIRED', message: 'The security question was not answered in time. Please try again.' },
  { id: 20, name: 'IMPAIRED', message: 'Some or all credentials for this connection are missing. Please update them.' },
  { id: 21, name: 'PENDING', message: 'Waiting for you to finish signing in with your institution.' },
] as const;

export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
export type ConnectionStatusName = ConnectionStatus['name'];

const BY_NAME = new Map<string, ConnectionStatus>(CONNECTION_STATUSES.map((status) => [status.name, status]));

export const CONNECTION_STATUS_NAMES: readonly ConnectionStatusName[] = CONNECTION_STATUSES.map(({ name }) => name);

export function isConnectionStatusName(value: unknown): value is ConnectionStatusName {
  return typeof value === 'string' && BY_NAME.has(value);
}

export function connectionStatus(name: ConnectionStatusName): ConnectionStatus {
  return BY_NAME.get(name)!;
}

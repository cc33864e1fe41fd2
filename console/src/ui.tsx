import { RelayNetworkError, RelayProblemError } from '@nexus-relay/client';
import type { ComponentChildren } from 'preact';

/** An API error as the API said it: the problem's title, detail and request id. */
export function ProblemView({ error }: { error: unknown }) {
  if (error instanceof RelayProblemError) {
    return (
      <div class="problem" role="alert">
        <strong>{error.title}</strong>
        <p>{error.detail}</p>
        {error.requestId && (
          <p class="muted">
            request id: <code>{error.requestId}</code>
          </p>
        )}
      </div>
    );
  }
  const message = error instanceof RelayNetworkError ? `Cannot reach the API: ${error.message}` : String(error);
  return (
    <div class="problem" role="alert">
      <strong>Something went wrong</strong>
      <p>{message}</p>
    </div>
  );
}

/**
 * What an action just did, in a live region that is always there (a region made with its text is not announced):
 * screen readers read each new notice.
 */
export const Notice = ({ children }: { children?: ComponentChildren }) => (
  <div class="notice" role="status" aria-live="polite">
    {children}
  </div>
);

/** Asks before an action that cannot be undone from here (the browser's own dialog: keyboard and screen readers know it). */
export const confirmed = (question: string): boolean => confirm(question);

export const Loading = ({ what }: { what: string }) => (
  <p class="muted" role="status">
    Loading {what}…
  </p>
);

export const Empty = ({ children }: { children: ComponentChildren }) => <p class="empty">{children}</p>;

/** One column of a ListTable: its header, which also labels each of its cells, and what a row shows in it. */
export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
  /** The cells' class (`wrap`, `muted`, `actions`…). */
  class?: string;
}

/**
 * A table of rows as every view lists them: a header of the columns, then a row per item, each cell carrying its
 * column's label as `data-label` (the narrow layout shows it beside the value). A row is keyed by `id`, and named by
 * it in `data-<rowName>` when given (the browser tests find rows by it).
 */
export interface ListTableProps<T> {
  columns: Column<T>[];
  rows: T[];
  id: (row: T) => string;
  rowName?: string;
  labelledBy?: string;
  class?: string;
}

export function ListTable<T>(props: ListTableProps<T>) {
  const { columns, rows, id, rowName } = props;
  return (
    <table class={props.class ?? 'list'} aria-labelledby={props.labelledBy}>
      <thead>
        <tr>
          {columns.map((column, index) => (
            <th key={index} scope="col">
              {column.label}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={id(row)} {...(rowName ? { [`data-${rowName}`]: id(row) } : {})}>
            {columns.map((column, index) => (
              <td key={index} data-label={column.label} class={column.class}>
                {column.cell(row)}
              </td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

const TONES: Record<string, string> = {
  succeeded: 'good',
  delivered: 'good',
  enabled: 'good',
  aggregating: 'busy',
  pending: 'busy',
  pending_endpoint: 'busy',
  action_required: 'warn',
  disabled: 'bad',
  failed: 'bad',
  FAILED: 'bad',
  DISABLED: 'bad',
  DISCONNECTED: 'bad',
  CLOSED: 'bad',
  timed_out: 'bad',
};

/** A status as a label, coloured by its tone (the tone of its value unless given). */
export const Status = ({ value, tone }: { value: string; tone?: string | undefined }) => (
  <span class={`status ${tone ?? TONES[value] ?? ''}`}>{value}</span>
);

/** "12 s", "4 min", "3 h", "2 d" since `iso`, as of `now`. */
export function age(iso: string, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}

/** An instant as "2026-06-30 18:00:05 UTC": every time the console shows is in UTC, and says so. */
export const time = (iso: string) => `${new Date(iso).toISOString().replace('T', ' ').slice(0, 19)} UTC`;

/** The value of the input or select an event came from. */
export const valueOf = (event: Event): string => (event.target as HTMLInputElement | HTMLSelectElement).value;

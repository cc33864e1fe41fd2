import type { MetricCatalogue, MetricsSink } from '../metrics.ts';

/** Connecting users and members, and erasing users: each metric's unit and the values each dimension may take (lib/metrics.ts). */
export const CONNECT_METRICS = {
  /** Users made at MX when first needed: `existed` on a 409. */
  MxUserCreations: { unit: 'Count', sum: true, dimensions: { outcome: ['created', 'existed', 'refused'] as const } },
  WidgetUrlsIssued: { unit: 'Count', sum: true, dimensions: { widget_type: ['connect_widget', 'connections_widget'] as const } },
  MemberChanges: { unit: 'Count', sum: true, dimensions: { action: ['created', 'updated', 'deleted'] as const } },
  /** OAuth window URIs handed out (a new OAuth member's first, or a re-authorisation). */
  OAuthWindows: { unit: 'Count', sum: true, dimensions: {} },
  /** `repeated` when an erasure of the user was already under way. */
  Erasures: { unit: 'Count', sum: true, dimensions: { stage: ['begun', 'repeated'] as const } },
  ErasureSteps: { unit: 'Count', sum: true, dimensions: {} },
  ErasedItems: { unit: 'Count', sum: true, dimensions: {} },
  /** Erasures ended (`user.deleted` sent): `absent` when MX no longer had the user. */
  UsersErased: { unit: 'Count', sum: true, dimensions: { mx_user: ['deleted', 'absent'] as const } },
  ErasureDuration: { unit: 'Milliseconds', sum: false, dimensions: {} },
  /** Calls refused because they name an erased user. */
  ErasedUserRefusals: { unit: 'Count', sum: true, dimensions: { at: ['api', 'mx_user'] as const } },
} as const satisfies MetricCatalogue;

export type ConnectMetrics = MetricsSink<typeof CONNECT_METRICS>;

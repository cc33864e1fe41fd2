import { DAY_MS, HOUR_MS, MINUTE_MS, dayOf, monthContaining, startOfDay } from './calendar.ts';
import { toIso } from './clock.ts';
import { type FixtureDraws, createFixtureDraws } from './fixture-draws.ts';
import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { isWithin, parseDayRange } from './read-filters.ts';
import type { SimCategory, SimTransaction } from './read-model.ts';
import { readDataOf } from './seed-data.ts';
import type { SimulatorState } from './state.ts';

export interface SimDeliverable {
  guid: string;
  /** MX's example's only channel: 1 EMAIL. */
  channel: 1;
  content: string;
  deliveredAt: number | null;
}

export interface SimNotification {
  guid: string;
  /** The budget the notification is about (MX's example: a BGT- guid as both entity and deep link). */
  budgetGuid: string;
  subject: string;
  hasBeenViewed: boolean;
  createdAt: number;
  deliverables: SimDeliverable[];
}

/** How many months back (the current one first) the seeded users were warned about a budget. */
const MONTHS = 4;
const NOTIFICATIONS_SALT = 0x7f4a_7c15;

const dollars = (amount: number) => `$${amount.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const cents = (value: number) => Math.round(value * 100) / 100;

/** FNV-1a (32 bits): a user's own stream from its guid. */
function fnv1a(text: string): number {
  let hash = 0x811c_9dc5;
  for (let index = 0; index < text.length; index++) hash = Math.imul(hash ^ text.charCodeAt(index), 0x0100_0193) >>> 0;
  return hash;
}

/**
 * MX's BUDGET_OFF_TARGET notifications (type 2, MX's example, the one type whose code its pages show), from the user's
 * own spending: for each of the last few months, on a day of it, the category the user had spent most on so far, with
 * a budget under the pace they were on. "You're projected to spend $P more than you've budgeted for C. You've already
 * spent $S of $B." Newest first; each with one EMAIL deliverable, delivered unless it is this month's.
 */
export function generateNotifications(
  draws: FixtureDraws,
  transactions: readonly SimTransaction[],
  categories: readonly SimCategory[],
  asOf: number,
): SimNotification[] {
  const nameOf = new Map(categories.map((category) => [category.guid, category.name]));
  const notifications: SimNotification[] = [];
  for (let monthsBack = 0; monthsBack < MONTHS; monthsBack++) {
    const { firstDay, lastDay } = monthContaining(asOf, monthsBack);
    const daysInMonth = Number(lastDay.slice(8, 10));
    const latest = monthsBack === 0 ? Math.max(1, Number(dayOf(asOf).slice(8, 10)) - 1) : daysInMonth - 2;
    const dayOfMonth = Math.min(latest, 8 + draws.int(14));
    const createdAt = Math.min(
      startOfDay(firstDay) + (dayOfMonth - 1) * DAY_MS + (8 + draws.int(12)) * HOUR_MS + draws.int(60) * MINUTE_MS,
      asOf,
    );
    const upTo = dayOf(createdAt);
    const spent = new Map<string, number>();
    for (const transaction of transactions) {
      if (transaction.type !== 'DEBIT' || transaction.date < firstDay || transaction.date > upTo) continue;
      spent.set(transaction.categoryGuid, (spent.get(transaction.categoryGuid) ?? 0) + transaction.amount);
    }
    const top = [...spent].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    if (!top) continue;
    const [categoryGuid, total] = top;
    const soFar = cents(total);
    const projected = cents((soFar * daysInMonth) / Number(upTo.slice(8, 10)));
    const budget = Math.max(10, Math.round((projected * (0.5 + draws.int(40) / 100)) / 10) * 10);
    if (projected <= budget) continue;
    const subject = `You're projected to spend ${dollars(cents(projected - budget))} more than you've budgeted for ${nameOf.get(categoryGuid) ?? 'Uncategorized'}. You've already spent ${dollars(soFar)} of ${dollars(budget)}.`;
    notifications.push({
      guid: draws.newGuid('TF'),
      budgetGuid: draws.newGuid('BGT'),
      subject,
      hasBeenViewed: monthsBack > 0 && draws.chance(0.7),
      createdAt,
      deliverables: [
        {
          guid: draws.newGuid('DNF'),
          channel: 1,
          content: `<html><body><p>${subject}</p></body></html>`,
          deliveredAt: monthsBack === 0 ? null : createdAt + (1 + draws.int(30)) * MINUTE_MS,
        },
      ],
    });
  }
  return notifications;
}

const notificationView = (notification: SimNotification) => ({
  created_on: toIso(notification.createdAt),
  deep_link_guid: notification.budgetGuid,
  entity_guid: notification.budgetGuid,
  guid: notification.guid,
  has_been_viewed: notification.hasBeenViewed,
  notification_type: 2,
  notification_type_name: 'BUDGET_OFF_TARGET',
  subject: notification.subject,
  threshold: null,
});

/** The fields of MX's List deliverables example, in its order. */
const deliverableView = (deliverable: SimDeliverable) => ({
  guid: deliverable.guid,
  channel: deliverable.channel,
  channel_name: 'EMAIL',
  content: deliverable.content,
  has_been_delivered: deliverable.deliveredAt !== null,
  delivered_at: deliverable.deliveredAt === null ? null : toIso(deliverable.deliveredAt),
  delivered_on: deliverable.deliveredAt === null ? null : dayOf(deliverable.deliveredAt),
});

/**
 * Nexus notifications and their deliverables, seeded per user on first read from a stream of the user's own (so
 * nothing else the seed produces changes). MX's examples carry no pagination, so the lists are whole; the
 * notifications list keeps `from_date`…`to_date` by the day of `created_on` (MX: 120 days back by default). A PFM
 * product: pfmEndpoint.
 */
export function notificationRoutes(state: SimulatorState): MxRoute[] {
  const seeded = new Map<string, SimNotification[]>();
  const notificationsOf = (user: SimUser): SimNotification[] => {
    let notifications = seeded.get(user.id);
    if (!notifications) {
      const data = readDataOf(state.seedData, user.id);
      const draws = createFixtureDraws(fnv1a(user.guid) ^ NOTIFICATIONS_SALT);
      notifications = generateNotifications(draws, data.transactions, state.seedData.categories, state.seedData.asOf);
      seeded.set(user.id, notifications);
    }
    return notifications;
  };
  const notificationOf = (user: SimUser, guid: string | undefined) => {
    const notification = notificationsOf(user).find((candidate) => candidate.guid === guid);
    if (!notification) throw new MxError(404, 'Notification not found.');
    return notification;
  };

  return [
    {
      methods: ['GET'],
      pattern: '/notifications',
      handler: pfmEndpoint(state, ({ query }, user) => {
        const now = state.clock.now();
        const range = parseDayRange(
          query.get('from_date') ?? dayOf(now - 120 * DAY_MS),
          query.get('to_date') ?? dayOf(now + 5 * DAY_MS),
          ['from_date', 'to_date'],
        );
        const kept = notificationsOf(user).filter((notification) => isWithin(dayOf(notification.createdAt), range));
        return { status: 200, body: { notifications: kept.map(notificationView) } };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/notifications/{notification_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { notification: notificationView(notificationOf(user, params.notification_guid)) },
      })),
    },
    {
      methods: ['GET'],
      pattern: '/notifications/{notification_guid}/deliverables',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: { deliverable_notifications: notificationOf(user, params.notification_guid).deliverables.map(deliverableView) },
      })),
    },
    {
      methods: ['GET'],
      pattern: '/notifications/{notification_guid}/deliverables/{deliverable_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const deliverable = notificationOf(user, params.notification_guid).deliverables.find(
          ({ guid }) => guid === params.deliverable_guid,
        );
        if (!deliverable) throw new MxError(404, 'Deliverable not found.');
        return { status: 200, body: { deliverable_notification: deliverableView(deliverable) } };
      }),
    },
  ];
}

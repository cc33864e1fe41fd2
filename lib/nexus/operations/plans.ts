import { amount, guid, optional, paged, read, rooted, write } from '../operation.ts';
import * as z from '../../zod.ts';

const plan = '/spending_plans/{spending_plan_guid}';
const item = `${plan}/iterations/current/iteration_items/{iteration_item_guid}`;
const account = `${plan}/spending_plan_account/{spending_plan_account_guid}`;

/** Spending plans, the scheduled payments they expect, and MX's notifications. */
export const PLAN_OPERATIONS = [
  read('/spending_plans', 'list-spending-plans', 'List spending plans', paged),
  read(plan, 'read-spending-plan', 'Read a spending plan'),
  read(`${plan}/iterations`, 'list-spending-plan-iterations', "List a spending plan's iterations", paged),
  read(`${plan}/iterations/current`, 'read-current-spending-plan-iteration', 'Read the current iteration'),
  read(
    `${plan}/iterations/current/iteration_items`,
    'list-spending-plan-iteration-items',
    "List the current iteration's items",
    paged,
  ),
  write(
    'PUT',
    item,
    'update-spending-plan-iteration-item',
    "Update an item of the current iteration (MX's body is not rooted)",
    z.looseObject(
      optional({
        planned_amount: amount,
        category_guid: guid('CAT'),
        top_level_category_guid: guid('CAT'),
        item_type: z.int(),
        scheduled_payment_guid: guid('[A-Z]{3}'),
      }),
    ),
  ),
  write('DELETE', item, 'delete-spending-plan-iteration-item', 'Delete an item of the current iteration'),
  read(`${plan}/spending_plan_account`, 'list-spending-plan-accounts', "List a spending plan's accounts", paged),
  read(account, 'read-spending-plan-account', 'Read a spending plan account'),
  write('DELETE', account, 'delete-spending-plan-account', 'Remove an account from a spending plan'),

  read('/scheduled_payments', 'list-scheduled-payments', 'List scheduled payments', paged),
  write('POST', '/scheduled_payments', 'create-scheduled-payment', 'Create a scheduled payment', rooted('scheduled_payment', {})),
  write(
    'PUT',
    '/scheduled_payments/{guid}',
    'update-scheduled-payment',
    'Update a scheduled payment',
    rooted('scheduled_payment', {}),
  ),

  read('/notifications', 'list-notifications', 'List notifications', paged),
  read('/notifications/{notification_guid}', 'read-notification', 'Read a notification'),
  read('/notifications/{notification_guid}/deliverables', 'list-deliverables', "A notification's deliverables", paged),
  read('/notifications/{notification_guid}/deliverables/{deliverable_guid}', 'read-deliverable', 'Read a deliverable'),
];

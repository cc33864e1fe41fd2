import type { SimUser } from './members.ts';
import { MxError } from './mx-errors.ts';
import type { MxRoute } from './mx-endpoint.ts';
import { pfmEndpoint } from './pfm-access.ts';
import { optionalMetadata, optionalString, requireSome, requiredString, rootObject } from './pfm-input.ts';
import { type SimTransactionRule, applyRule, pfmOf, reapplyRule, requireCategory } from './pfm-store.ts';
import { transactionRuleView } from './pfm-views.ts';
import { pagedListBody } from './read-views.ts';
import type { SimulatorState } from './state.ts';

/**
 * Nexus transaction rules. Create and update follow MX's pages (`{"transaction_rule":{category_guid,
 * match_description, description?, metadata?}}`); list, read and delete were not found in Nexus's reference and follow
 * the Platform API's (a paged list, the rule rooted in `transaction_rule`, 204). A new rule applies at once to every
 * transaction whose description contains its match_description (MX's transaction rules guide); changing its category or
 * description changes the transactions it applied to, changing match_description only future ones (MX's update page).
 */
export function transactionRuleRoutes(state: SimulatorState): MxRoute[] {
  const findRule = (user: SimUser, guid: string | undefined): SimTransactionRule => {
    const rule = pfmOf(state, user).rules.find((candidate) => candidate.guid === guid);
    if (!rule) throw new MxError(404, 'Transaction rule not found.');
    return rule;
  };
  const one = (user: SimUser, rule: SimTransactionRule) => ({ transaction_rule: transactionRuleView(user)(rule) });

  return [
    {
      methods: ['GET'],
      pattern: '/transaction_rules',
      handler: pfmEndpoint(state, ({ query }, user) => ({
        status: 200,
        body: pagedListBody('transaction_rules', pfmOf(state, user).rules, transactionRuleView(user), query),
      })),
    },
    {
      methods: ['POST'],
      pattern: '/transaction_rules',
      handler: pfmEndpoint(state, ({ body }, user) => {
        const input = rootObject(body, 'transaction_rule');
        const categoryGuid = requiredString(input, 'transaction_rule', 'category_guid');
        const matchDescription = requiredString(input, 'transaction_rule', 'match_description');
        const description = optionalString(input, 'transaction_rule', 'description') ?? null;
        const metadata = optionalMetadata(input, 'transaction_rule') ?? null;
        requireCategory(state, user, categoryGuid, 'transaction_rule.category_guid');
        const pfm = pfmOf(state, user);
        if (pfm.rules.some((rule) => rule.matchDescription.toLowerCase() === matchDescription.toLowerCase())) {
          throw new MxError(409, 'A transaction rule with this match_description already exists.');
        }
        const now = state.clock.now();
        const rule: SimTransactionRule = {
          guid: pfm.draws.newGuid('TXR'),
          categoryGuid,
          matchDescription,
          description,
          metadata,
          createdAt: now,
          updatedAt: now,
        };
        pfm.rules.push(rule);
        applyRule(state, user, rule, now);
        return { status: 200, body: one(user, rule) };
      }),
    },
    {
      methods: ['GET'],
      pattern: '/transaction_rules/{transaction_rule_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => ({
        status: 200,
        body: one(user, findRule(user, params.transaction_rule_guid)),
      })),
    },
    {
      methods: ['PUT'],
      pattern: '/transaction_rules/{transaction_rule_guid}',
      handler: pfmEndpoint(state, ({ params, body }, user) => {
        const rule = findRule(user, params.transaction_rule_guid);
        const input = rootObject(body, 'transaction_rule');
        requireSome(input, 'transaction_rule', ['category_guid', 'match_description', 'description', 'metadata']);
        const categoryGuid = optionalString(input, 'transaction_rule', 'category_guid');
        const matchDescription = optionalString(input, 'transaction_rule', 'match_description');
        const description = optionalString(input, 'transaction_rule', 'description');
        const metadata = optionalMetadata(input, 'transaction_rule');
        if (categoryGuid !== undefined) requireCategory(state, user, categoryGuid, 'transaction_rule.category_guid');
        const now = state.clock.now();
        if (categoryGuid !== undefined) rule.categoryGuid = categoryGuid;
        if (matchDescription !== undefined) rule.matchDescription = matchDescription;
        if (description !== undefined) rule.description = description;
        if (metadata !== undefined) rule.metadata = metadata;
        rule.updatedAt = now;
        if (categoryGuid !== undefined || description !== undefined) reapplyRule(state, user, rule, now);
        return { status: 200, body: one(user, rule) };
      }),
    },
    {
      methods: ['DELETE'],
      pattern: '/transaction_rules/{transaction_rule_guid}',
      handler: pfmEndpoint(state, ({ params }, user) => {
        const rule = findRule(user, params.transaction_rule_guid);
        const pfm = pfmOf(state, user);
        pfm.rules = pfm.rules.filter((candidate) => candidate !== rule);
        return { status: 204, body: undefined };
      }),
    },
  ];
}

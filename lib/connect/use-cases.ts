import { InvalidInputError } from '../errors.ts';

/** What a member may be used for at MX (MX's Member Use Cases guide, seed 004). */
export const USE_CASES = ['PFM', 'MONEY_MOVEMENT'] as const;
export type UseCase = (typeof USE_CASES)[number];

/** What a member is for when a request MX needs use cases on names none: what the relay follows, aggregation. */
export const DEFAULT_USE_CASES: readonly UseCase[] = ['PFM'];

/** The widgets whose URLs carry `use_cases` once the deployment has opted in. */
const WIDGETS_WITH_USE_CASES = new Set(['connect_widget', 'connections_widget']);

/** A request MX's use_cases rules refuse (422 `use_cases_invalid`): MX is not called. `field` names what is at fault. */
export class UseCasesRuleError extends InvalidInputError {
  constructor(field: string, message: string) {
    super(field, message, { code: 'USE_CASES_RULE' });
    this.name = 'UseCasesRuleError';
  }
}

/** What a use_cases rule is checked on. */
export type UseCasesSubject =
  | { kind: 'widget_url'; widgetType: string; useCases?: readonly UseCase[]; connectionsUseCaseFilter?: unknown }
  | { kind: 'create_member' | 'update_member'; useCases?: readonly UseCase[] };

/**
 * MX's use_cases rules, in one place: the use cases to send MX, or UseCasesRuleError. Opted in
 * (`MX_USE_CASES_ENABLED`, the default): a `connect_widget` or `connections_widget` URL and every create member carry
 * a non-empty set, `DEFAULT_USE_CASES` when the request names none; an update carries what it names or, naming none,
 * the member's own (undefined here: members.ts reads them); `connections_use_case_filter` goes with
 * `connections_widget` only. Not opted in: MX takes neither, so both are refused.
 *
 * @example
 * useCasesFor({ kind: 'create_member' }, true); // ['PFM']
 * useCasesFor({ kind: 'create_member', useCases: ['PFM'] }, false); // throws UseCasesRuleError (field use_cases)
 */
export function useCasesFor(subject: UseCasesSubject, enabled: boolean): readonly UseCase[] | undefined {
  const filter = subject.kind === 'widget_url' ? subject.connectionsUseCaseFilter : undefined;
  if (!enabled) {
    if (subject.useCases !== undefined) {
      throw new UseCasesRuleError(
        'use_cases',
        'use_cases is sent to MX only once the deployment has opted in to use cases (MX_USE_CASES_ENABLED is false).',
      );
    }
    if (filter !== undefined) {
      throw new UseCasesRuleError(
        'connections_use_case_filter',
        'connections_use_case_filter needs use cases, which this deployment has not opted in to (MX_USE_CASES_ENABLED is false).',
      );
    }
    return undefined;
  }
  if (subject.kind === 'widget_url') {
    if (filter !== undefined && subject.widgetType !== 'connections_widget') {
      throw new UseCasesRuleError(
        'connections_use_case_filter',
        `connections_use_case_filter goes with connections_widget only, not ${subject.widgetType}.`,
      );
    }
    if (!WIDGETS_WITH_USE_CASES.has(subject.widgetType)) return subject.useCases;
  }
  if (subject.useCases?.length === 0) {
    throw new UseCasesRuleError(
      'use_cases',
      'use_cases needs at least one use case (PFM, MONEY_MOVEMENT): MX keeps at least one.',
    );
  }
  return subject.useCases ?? (subject.kind === 'update_member' ? undefined : DEFAULT_USE_CASES);
}

import { InvalidInputError } from '../errors.ts';

/** What a member may be used for at MX. */
export const USE_CASES = ['PFM', 'MONEY_MOVEMENT'] as const;
export type UseCase = (typeof USE_CASES)[number];

/** When a request that MX needs use cases on names none: aggregation, what the relay follows. */
export const DEFAULT_USE_CASES: readonly UseCase[] = ['PFM'];

const WIDGETS_WITH_USE_CASES = new Set(['connect_widget', 'connections_widget']);

/** A request MX's use_cases rules refuse (422), before MX is called. */
export class UseCasesRuleError extends InvalidInputError {
  constructor(field: string, message: string) {
    super(field, message, { code: 'USE_CASES_RULE' });
    this.name = 'UseCasesRuleError';
  }
}

export type UseCasesSubject =
  | { kind: 'widget_url'; widgetType: string; useCases?: readonly UseCase[]; connectionsUseCaseFilter?: unknown }
  | { kind: 'create_member' | 'update_member'; useCases?: readonly UseCase[] };

/**
 * MX's use_cases rules, in one place: the use cases to send MX, or UseCasesRuleError. An update naming none gets
 * undefined (the caller keeps the member's own). Not opted in, MX takes neither use cases nor the filter.
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

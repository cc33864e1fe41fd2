import { InvalidInputError } from '../errors.ts';

/** What a member may be used for at MX (MX's Member Use Cases guide, seed 004). */
export const USE_CASES = ['PFM', 'MONEY_MOVEMENT'] as const;
export type UseCase = (typeof USE_CASES)[number];

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
 * MX's use_cases rules, in one place. Opted in (`MX_USE_CASES_ENABLED`, the default): a `connect_widget` or
 * `connections_widget` URL, every create member and every update member carry `use_cases`, a non-empty set (an update
 * may change them, never to none); `connections_use_case_filter` goes with `connections_widget` only. Not opted in:
 * MX takes neither, so both are refused. Throws UseCasesRuleError; returns when the request may go to MX.
 */
export function checkUseCases(subject: UseCasesSubject, enabled: boolean): void {
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
    return;
  }
  if (subject.kind === 'widget_url') {
    if (filter !== undefined && subject.widgetType !== 'connections_widget') {
      throw new UseCasesRuleError(
        'connections_use_case_filter',
        `connections_use_case_filter goes with connections_widget only, not ${subject.widgetType}.`,
      );
    }
    if (!WIDGETS_WITH_USE_CASES.has(subject.widgetType)) return;
  }
  const what =
    subject.kind === 'widget_url'
      ? `A ${subject.widgetType} URL`
      : subject.kind === 'create_member'
        ? 'Creating a member'
        : 'Updating a member';
  if (subject.useCases === undefined) {
    throw new UseCasesRuleError(
      'use_cases',
      `${what} needs use_cases (PFM, MONEY_MOVEMENT or both): this deployment has opted in to use cases.`,
    );
  }
  if (subject.useCases.length === 0) {
    throw new UseCasesRuleError('use_cases', `${what} needs at least one use case (PFM, MONEY_MOVEMENT): MX keeps at least one.`);
  }
}

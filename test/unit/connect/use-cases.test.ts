import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { USE_CASES, type UseCase, useCasesFor, UseCasesRuleError } from '../../../lib/connect/use-cases.ts';

const refusal = (run: () => unknown): { field: string } | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(UseCasesRuleError);
    return { field: (error as UseCasesRuleError).field };
  }
};

describe("MX's use_cases rules, opted in", () => {
  it.each(['connect_widget', 'connections_widget'])('a %s URL carries a non-empty use_cases: PFM unless named', (widgetType) => {
    expect(useCasesFor({ kind: 'widget_url', widgetType }, true)).toEqual(['PFM']);
    expect(refusal(() => useCasesFor({ kind: 'widget_url', widgetType, useCases: [] }, true))).toEqual({ field: 'use_cases' });
    expect(useCasesFor({ kind: 'widget_url', widgetType, useCases: ['MONEY_MOVEMENT'] }, true)).toEqual(['MONEY_MOVEMENT']);
  });

  it('another widget goes as asked', () => {
    expect(useCasesFor({ kind: 'widget_url', widgetType: 'accounts_widget' }, true)).toBeUndefined();
  });

  it('connections_use_case_filter goes with connections_widget only', () => {
    const withFilter = (widgetType: string) => () =>
      useCasesFor({ kind: 'widget_url', widgetType, useCases: ['PFM'], connectionsUseCaseFilter: true }, true);
    expect(refusal(withFilter('connect_widget'))).toEqual({ field: 'connections_use_case_filter' });
    expect(refusal(withFilter('connections_widget'))).toBeUndefined();
  });

  it("a create carries PFM unless it names its own; an update naming none keeps the member's (read by members.ts)", () => {
    expect(useCasesFor({ kind: 'create_member' }, true)).toEqual(['PFM']);
    expect(useCasesFor({ kind: 'update_member' }, true)).toBeUndefined();
  });

  it.each(['create_member', 'update_member'] as const)('%s keeps at least one use case', (kind) => {
    expect(refusal(() => useCasesFor({ kind, useCases: [] }, true))).toEqual({ field: 'use_cases' });
    expect(useCasesFor({ kind, useCases: ['MONEY_MOVEMENT'] }, true)).toEqual(['MONEY_MOVEMENT']);
  });
});

describe("MX's use_cases rules, not opted in", () => {
  const someUseCases = fc.subarray<UseCase>([...USE_CASES]);
  const widgetType = fc.constantFrom('connect_widget', 'connections_widget', 'accounts_widget', 'master_widget');

  it('refuses use_cases on anything, and the filter, and lets the rest through', () => {
    fc.assert(
      fc.property(
        widgetType,
        fc.option(someUseCases, { nil: undefined }),
        fc.option(fc.boolean(), { nil: undefined }),
        (type, useCases, filter) => {
          const found = refusal(() =>
            useCasesFor({ kind: 'widget_url', widgetType: type, useCases, connectionsUseCaseFilter: filter }, false),
          );
          if (useCases !== undefined) expect(found).toEqual({ field: 'use_cases' });
          else if (filter !== undefined) expect(found).toEqual({ field: 'connections_use_case_filter' });
          else expect(found).toBeUndefined();
        },
      ),
    );
  });
});

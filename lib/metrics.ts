import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** CloudWatch namespace of every nexus-relay metric; the environment is a dimension of each. */
export const METRIC_NAMESPACE = 'NexusRelay';

type Unit = 'Count' | 'Milliseconds' | 'Seconds';

/**
 * Metrics as a slice declares them (its `*-metrics.ts`): each with its unit and, per dimension, every value it may take.
 * A value outside its list is recorded as `other`, so dimensions stay low-cardinality by construction (no user id,
 * member guid, job id or URL becomes a time series). `sum` metrics are added up within an invocation and written once.
 */
export type MetricCatalogue = Record<string, { unit: Unit; sum: boolean; dimensions: Record<string, readonly string[]> }>;

export type DimensionsOf<C extends MetricCatalogue, N extends keyof C> = {
  [D in keyof C[N]['dimensions']]: C[N]['dimensions'][D] extends readonly (infer V)[] ? V : never;
};

/** What a slice records its metrics with. `add` never throws and never writes: values are written at the invocation's end. */
export interface MetricsSink<C extends MetricCatalogue = MetricCatalogue> {
  add<N extends keyof C & string>(name: N, value: number, dimensions: DimensionsOf<C, N>): void;
}

/** Records nothing (the default where a caller does not care). */
export const noMetrics: MetricsSink = { add() {} };

/** The value a dimension is recorded with: the given one when the catalogue lists it, `other` otherwise. */
export function dimensionValue(allowed: readonly string[], value: unknown): string {
  return typeof value === 'string' && allowed.includes(value) ? value : 'other';
}

interface Entry {
  name: string;
  values: number[];
}

export interface EmfMetricsOptions {
  /** `dev`, `staging`, `prod` or `local`: the `environment` dimension of every metric. */
  environment: string;
}

/** Records through Powertools (EMF). An EMF line has one value per dimension, so metrics are grouped by dimension values. */
export class EmfMetrics<C extends MetricCatalogue> implements MetricsSink<C> {
  /** Dimension values (as JSON) → metric name → what was recorded. */
  readonly #groups = new Map<string, Map<string, Entry>>();
  readonly #metrics: Metrics;

  constructor(
    private readonly catalogue: C,
    options: EmfMetricsOptions,
  ) {
    this.#metrics = new Metrics({
      namespace: METRIC_NAMESPACE,
      serviceName: 'nexus-relay',
      defaultDimensions: { environment: options.environment },
    });
  }

  add<N extends keyof C & string>(name: N, value: number, dimensions: DimensionsOf<C, N>): void {
    if (!Number.isFinite(value)) return;
    const given = dimensions as Record<string, unknown>;
    const recorded: Record<string, string> = {};
    for (const [dimension, allowed] of Object.entries(this.catalogue[name]!.dimensions) as [string, readonly string[]][]) {
      recorded[dimension] = dimensionValue(allowed, given[dimension]);
    }
    const key = JSON.stringify(recorded);
    let group = this.#groups.get(key);
    if (!group) this.#groups.set(key, (group = new Map()));
    const entry = group.get(name);
    if (!entry) group.set(name, { name, values: [value] });
    else if (this.catalogue[name]!.sum) entry.values[0]! += value;
    else entry.values.push(value);
  }

  /** Powertools' `ColdStart` metric (dimension `function_name`), once per container. */
  coldStart(functionName: string): void {
    try {
      this.#metrics.captureColdStartMetric(functionName);
    } catch {
      // A metric must never fail the invocation that recorded it.
    }
  }

  /** Publishes what was recorded since the last flush and forgets it. Never throws. */
  flush(): void {
    const groups = [...this.#groups];
    this.#groups.clear();
    for (const [key, entries] of groups) {
      try {
        const dimensions = JSON.parse(key) as Record<string, string>;
        let inLine = 0;
        const startLine = () => {
          if (Object.keys(dimensions).length > 0) this.#metrics.addDimensions(dimensions);
          inLine = 0;
        };
        startLine();
        for (const { name, values } of entries.values()) {
          for (const value of values) {
            if (inLine === VALUES_PER_LINE) {
              this.#metrics.publishStoredMetrics();
              startLine();
            }
            this.#metrics.addMetric(name, MetricUnit[this.catalogue[name]!.unit], value);
            inLine += 1;
          }
        }
      } catch {
        // What the group left behind must not join the next group's line.
        this.#discard();
        continue;
      }
      try {
        // Clears what it published, whether it wrote it or threw.
        this.#metrics.publishStoredMetrics();
      } catch {
        // As above.
      }
    }
  }

  #discard(): void {
    for (const clear of [() => this.#metrics.clearMetrics(), () => this.#metrics.clearDimensions()]) {
      try {
        clear();
      } catch {
        // As above.
      }
    }
  }
}

/** Powertools writes a line by itself at 100 values of a metric, clearing the dimensions the rest of the group needs. */
const VALUES_PER_LINE = 99;

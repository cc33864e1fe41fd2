import type { Metafile } from 'esbuild';
import { LAMBDA_BUNDLE, NODE_HTTP_CJS } from '../infra/bundling.ts';
import { FUNCTION_NAMES, FUNCTION_SPECS, type FunctionName, sdkClientsOf } from '../infra/constructs/function-specs.ts';
import {
  type Bundle,
  CONFIG_AS_ZOD_PROBE,
  CONFIG_PROBE,
  type Measurement,
  PROBES,
  PROFILE_RUNS,
  type Profiles,
  RUNS,
  SOURCE_MAPS_AT_START,
  TARGET_RUNS,
  ZOD_PROBE,
  baselineName,
  bundlesUndici,
  clientsImported,
  sdkImports,
  withEsmHttp,
  withRuntimeSdk,
} from './cold-start-measure.ts';
import { ownerOfPath } from './support/attribution.ts';
import { judge, type TargetCheck, table } from './support/report.ts';
import { bootstrapInterval, fmt, kib, median, ratioOfMediansInterval, seededRandom } from './support/stats.ts';

/**
 * The cold-start benchmark's report (bench/cold-start.ts): one function per section of its BENCHMARKS.md section, each
 * reading what bench/cold-start-measure.ts measured and returning its Markdown lines and the target checks it adds.
 */

/** A function's import over its floor's: the target measures our code, not the stack we chose (issue 35); 1.35 since issue 54. */
const TARGET_RATIO = 1.35;
/** Resident memory right after the import, function over baseline (issue 20's goal). */
const RSS_GOAL_RATIO = 1.2;
/** How many of the functions missing their target get profiled (the worst first). */
const MAX_PROFILED = 2;
/**
 * What lib/config.ts must save per cold start over the same variables as zod/mini schemas to stay (decision 0010: the
 * rule for any workaround).
 */
const CONFIG_SAVING_MS = 5;

const mib = (bytes: number): string => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const short = (pkg: string) => pkg.replace('@aws-sdk/', '').replace('client-', '');
const sumOf = (values: Iterable<number>) => [...values].reduce((total, value) => total + value, 0);

/** Bytes of the bundle by owner (esbuild's bytesInOutput). */
function bytesByOwner(metafile: Metafile): Map<string, number> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [path, input] of Object.entries(output.inputs)) {
      const owner = ownerOfPath(path);
      bytes.set(owner, (bytes.get(owner) ?? 0) + input.bytesInOutput);
    }
  }
  return bytes;
}

/** One section of the report: its Markdown lines, and the target checks it adds. */
export interface Section {
  lines: string[];
  checks: TargetCheck[];
}

/** A function's or floor's import times over every round it was in (RUNS + TARGET_RUNS), in round order. */
const targetSamples = (bundle: Bundle) => [...bundle.times, ...bundle.targetTimes];
/** The baseline bundling only the SDK clients a function uses. */
const baselineOf = ({ find }: Measurement, name: FunctionName) => find(baselineName(sdkClientsOf(FUNCTION_SPECS[name])));
const floorBundleOf = ({ find, floorOf }: Measurement, name: FunctionName) => find(floorOf(name));
/** The target's ratio: a function's import over its floor's, over the target's rounds. */
const ratioOf = (m: Measurement, name: FunctionName) =>
  median(targetSamples(m.find(name))) / median(targetSamples(floorBundleOf(m, name)));
const missedOf = (m: Measurement) => FUNCTION_NAMES.filter((name) => !(ratioOf(m, name) <= TARGET_RATIO));

/** The functions whose CPU profiles the report shows: the furthest over the target, at most MAX_PROFILED. */
export const furthestFromTarget = (m: Measurement): FunctionName[] =>
  [...missedOf(m)].sort((a, b) => ratioOf(m, b) - ratioOf(m, a)).slice(0, MAX_PROFILED);

/** The target (each function's import over its floor's, and init RSS), the table of every function, the result. */
export function targetSection(m: Measurement): Section {
  const { bundles, find } = m;
  // How far the machine's noise moves that ratio: its 95 % interval, the rounds resampled (a function and its floor
  // are imported in the same rounds). An interval on one side of the target is a verdict this run's noise cannot turn.
  const intervals = new Map(
    FUNCTION_NAMES.map((name) => [
      name,
      ratioOfMediansInterval(
        targetSamples(find(name)),
        targetSamples(floorBundleOf(m, name)),
        seededRandom(FUNCTION_NAMES.indexOf(name) + 1),
      ),
    ]),
  );
  const intervalOf = (name: FunctionName) => intervals.get(name)!;
  const beyondNoise = (side: 'met' | 'missed') =>
    FUNCTION_NAMES.filter((name) =>
      side === 'met' ? intervalOf(name).high <= TARGET_RATIO : intervalOf(name).low > TARGET_RATIO,
    );
  // The target before issue 35: the function over a bundle of its SDK clients alone (reported, no longer a target).
  const baselineRatioOf = (name: FunctionName) => median(find(name).times) / median(baselineOf(m, name).times);
  const rows = FUNCTION_NAMES.map((name) => {
    const used = sdkClientsOf(FUNCTION_SPECS[name]);
    const fn = find(name);
    const baseline = baselineOf(m, name);
    const floor = floorBundleOf(m, name);
    const ratio = ratioOf(m, name);
    return [
      `\`${name}\``,
      used.length > 0 ? used.join(', ') : 'none',
      sdkImports(fn.metafile).map(short).join(', ') || 'none',
      `${kib(fn.bytes)} (${kib(fn.gzipBytes)} gz)`,
      fn.failed ? 'does not import' : `${fmt(median(targetSamples(fn)))} (min ${fmt(Math.min(...targetSamples(fn)))})`,
      `${fmt(median(targetSamples(floor)))} (min ${fmt(Math.min(...targetSamples(floor)))}; ${kib(floor.bytes)})`,
      `${fmt(ratio, 2)}× ${ratio <= TARGET_RATIO ? '✅' : '❌'} (${fmt(intervalOf(name).low, 2)}–${fmt(intervalOf(name).high, 2)})`,
      fn.failed
        ? '—'
        : `${mib(median(fn.rss))} / ${mib(median(baseline.rss))} = ${fmt(median(fn.rss) / median(baseline.rss), 2)}× ` +
          (median(fn.rss) / median(baseline.rss) <= RSS_GOAL_RATIO ? '✅' : '❌'),
    ];
  });
  /** The median function import over the target's rounds (the first table's import column). */
  const targetMedian = median(FUNCTION_NAMES.map((name) => median(targetSamples(find(name)))).filter(Number.isFinite));
  const ratios = FUNCTION_NAMES.map((name) => ratioOf(m, name));
  const finite = ratios.filter(Number.isFinite);
  const metCount = ratios.filter((ratio) => ratio <= TARGET_RATIO).length;
  const missed = missedOf(m);
  const rssRatioOf = (name: FunctionName) => median(find(name).rss) / median(baselineOf(m, name).rss);
  const rssRatios = FUNCTION_NAMES.map(rssRatioOf);
  const rssWithin = rssRatios.filter((ratio) => ratio <= RSS_GOAL_RATIO).length;
  // Each function's RSS ratio with its noise (the function's and its baseline's imports resampled apart).
  const rssVerdicts = FUNCTION_NAMES.map((name, i) =>
    judge(
      rssRatioOf(name),
      bootstrapInterval((draw) => median(draw(find(name).rss)) / median(draw(baselineOf(m, name).rss)), seededRandom(100 + i)),
      RSS_GOAL_RATIO,
      'at most',
    ),
  );
  const importVerdicts = FUNCTION_NAMES.map((name) => judge(ratioOf(m, name), intervalOf(name), TARGET_RATIO, 'at most'));
  /** A row over every function: missed if one misses beyond its noise, else undecided if one is within it. */
  const overAll = (verdicts: Pick<TargetCheck, 'met' | 'undecided'>[]) => {
    const beyondMissed = verdicts.filter((v) => !v.met && !v.undecided).length;
    const undecided = verdicts.filter((v) => v.undecided).length;
    return {
      verdict: { met: verdicts.every((v) => v.met), ...(beyondMissed === 0 && undecided > 0 ? { undecided: true } : {}) },
      noise: `; beyond the run's noise ${verdicts.length - beyondMissed - undecided} met, ${beyondMissed} missed, ${undecided} undecided`,
    };
  };
  const importsOverAll = overAll(importVerdicts);
  const rssOverAll = overAll(rssVerdicts);
  const baselineRatios = FUNCTION_NAMES.map(baselineRatioOf).filter(Number.isFinite);
  const failedImports = bundles.filter((bundle) => bundle.failed);
  const checks: TargetCheck[] = [
    {
      target: `Cold start: each function's import ≤ ${TARGET_RATIO}× its stack floor (its SDK clients, middy, Powertools Logger and Metrics, undici where used; no project code)`,
      measured:
        `${metCount}/${FUNCTION_NAMES.length} met; ratios ${fmt(Math.min(...finite), 2)}–${fmt(Math.max(...finite), 2)}×` +
        (finite.length < ratios.length ? `; ${ratios.length - finite.length} did not import` : '') +
        importsOverAll.noise +
        (beyondNoise('missed').length > 0 ? ` (${beyondNoise('missed').join(', ')})` : ''),
      ...importsOverAll.verdict,
    },
    {
      target: `Cold start, init RSS: each function ≤ ${RSS_GOAL_RATIO}× its SDK-only baseline's`,
      measured:
        `${rssWithin}/${FUNCTION_NAMES.length}; ratios ${fmt(Math.min(...rssRatios), 2)}–${fmt(Math.max(...rssRatios), 2)}×` +
        rssOverAll.noise,
      ...rssOverAll.verdict,
    },
    {
      target: `Cold start over a baseline bundling only the SDK clients a function uses (the target until issue 35; no target)`,
      measured: `ratios ${fmt(Math.min(...baselineRatios), 2)}–${fmt(Math.max(...baselineRatios), 2)}×`,
      met: true,
      info: true,
    },
  ];
  const lines = [
    `**Target:** each function's median import time ≤ ${TARGET_RATIO} × that of its floor: a bundle of the stack the function is built on and no project code — ` +
      'the AWS SDK clients it uses (DynamoDB when it has item actions or queries, SQS when it sends or consumes, Secrets Manager when it calls MX, checks MX webhooks or signs cursors, ' +
      'KMS when it seals webhook secrets or MX session tokens — from `infra/constructs/function-specs.ts`), middy, Powertools Logger and Metrics, and undici where its bundle holds it. ' +
      `Init RSS: each function ≤ ${RSS_GOAL_RATIO}× a baseline bundling only those SDK clients. ` +
      'Until issue 35 the time target was the SDK-only baseline: it measured the stack as much as our code, and is reported below.',
    '',
    `**Method:** every bundle is built with the stack's own options (\`esbuildOptions\` from \`infra/bundling.ts\`: ESM, ${LAMBDA_BUNDLE.target}, minified, ` +
      '`mainFields: module,main`, createRequire banner, the AWS SDK bundled). Import time = `await import(bundle)` in a fresh `node --input-type=module` process ' +
      "(each function with the environment the stack gives it in prod, from the stack's own `infra/constructs/function-environment.ts`; baselines, floors and probes with every variable any function is given), " +
      `${RUNS} processes per bundle, interleaved in shuffled rounds, then ${TARGET_RUNS} more rounds of the functions and their floors alone, ` +
      `for the target's ratio (it and the function and floor imports it divides are over all ${RUNS + TARGET_RUNS} rounds; every other comparison is over the first ${RUNS}); tables show medians. ` +
      "A function's ratio to its floor comes with its 95 % interval: the rounds resampled with replacement 2,000 times (each round keeps its function and floor imports together), the ratio of medians of each resample, its 2.5th and 97.5th percentiles. " +
      'The same functions and baselines built with `@aws-sdk/*` external (how they were shipped before: the SDK resolved from `node_modules`, as Lambda resolves the copy its runtime provides) are timed in the same rounds. ' +
      'Sizes are the minified `.mjs` without its source map. Measured on Node ' +
      process.version +
      ` (Lambda runs nodejs${LAMBDA_BUNDLE.target.replace(/^node/, '')}.x); other load on the machine widens the spread, so minimums are shown too.`,
    '',
    table(
      [
        'function',
        'SDK clients it uses',
        'SDK packages its bundle imports',
        'bundle',
        'import p50 (min), ms',
        'floor import p50 (min; size), ms',
        'function / floor (95 % interval)',
        `init RSS: function / baseline (p50; goal ≤ ${RSS_GOAL_RATIO}×)`,
      ],
      rows,
    ),
    '',
    `**Result:** ${metCount}/${FUNCTION_NAMES.length} functions meet the target ` +
      `(ratios ${fmt(Math.min(...finite), 2)}–${fmt(Math.max(...finite), 2)}×, median function import ${fmt(targetMedian)} ms).` +
      (missed.length > 0 ? ` Missed: ${missed.map((name) => `\`${name}\` ${fmt(ratioOf(m, name), 2)}×`).join(', ')}.` : '') +
      ` Beyond this run's noise (the ratio's 95 % interval, rounds resampled, on one side of ${TARGET_RATIO}×): ` +
      `${beyondNoise('met').length} met, ${beyondNoise('missed').length} missed` +
      (beyondNoise('missed').length > 0
        ? ` (${beyondNoise('missed')
            .map((name) => `\`${name}\``)
            .join(', ')})`
        : '') +
      `, ${FUNCTION_NAMES.length - beyondNoise('met').length - beyondNoise('missed').length} undecided (the interval spans it, or the function did not import).`,
    '',
    failedImports.length > 0
      ? `**Did not import** (left out of the timing): ${failedImports.map((b) => `\`${b.key}\`: ${b.failed}`).join('; ')}.`
      : '',
  ];
  return { lines, checks };
}

/** The stack's floor per function: what the stack costs over the SDK clients, and what the function's own code adds. */
export function floorSection(m: Measurement): Section {
  const { find } = m;
  // The floor over its baseline on the rounds both are in (RUNS); what is left for the function's own code, on the
  // target's rounds (RUNS + TARGET_RUNS).
  const floorRatioOf = (name: FunctionName) => median(floorBundleOf(m, name).times) / median(baselineOf(m, name).times);
  const floorRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    const floor = floorBundleOf(m, name);
    const base = median(baselineOf(m, name).times);
    return [
      `\`${name}\``,
      fmt(base),
      bundlesUndici(fn.metafile) ? 'yes' : 'no',
      `${fmt(median(floor.times))} (${kib(floor.bytes)})`,
      `${fmt(floorRatioOf(name), 2)}×`,
      fmt(median(targetSamples(floor))),
      fmt(median(targetSamples(floor)) * (TARGET_RATIO - 1)),
      fmt(median(targetSamples(fn)) - median(targetSamples(floor))),
      `${fmt(ratioOf(m, name), 2)}×`,
    ];
  });
  const floorRatios = FUNCTION_NAMES.map(floorRatioOf);
  const check: TargetCheck = {
    target: "Cold start, the stack's floor over its SDK-only baseline: what middy, Powertools and undici cost (no target)",
    measured: `floor ratios ${fmt(Math.min(...floorRatios), 2)}–${fmt(Math.max(...floorRatios), 2)}×`,
    met: true,
    info: true,
  };
  const lines = [
    "### The stack's floor and the function's own code",
    '',
    'A floor bundle holds what a function of this stack loads whatever its own code: the SDK clients of its baseline, ' +
      'each constructed (every composition builds its clients at start), ' +
      "middy's core, Powertools Logger (with its middleware) and Metrics, one of each constructed, and what the project imports of undici " +
      "(lib/undici.ts: its dispatchers and `request`) where the function's bundle holds undici. No project code. " +
      `The baseline, the floor and their ratio are over the ${RUNS} rounds with every bundle; the last four columns over the target's ${RUNS + TARGET_RUNS}.`,
    '',
    table(
      [
        'function',
        'SDK-only baseline p50, ms',
        'undici',
        'floor p50, ms (bundle)',
        'floor / baseline',
        `floor p50 over ${RUNS + TARGET_RUNS} rounds, ms`,
        `left for own code under the target (${TARGET_RATIO}× floor), ms`,
        'own code now (function − floor), ms',
        'function / floor',
      ],
      floorRows,
    ),
    '',
    `**The floor** costs ${fmt(Math.min(...floorRatios), 2)}–${fmt(Math.max(...floorRatios), 2)}× the SDK clients alone.`,
  ];
  return { lines, checks: [check] };
}

/** Node's source maps at start (the stack's NODE_OPTIONS before): what they add to each function's import. */
export function sourceMapsSection({ find }: Measurement): Section {
  const sourceMapRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    return [
      `\`${name}\``,
      fmt(median(fn.times)),
      fmt(median(fn.sourceMapTimes)),
      `+${fmt(median(fn.sourceMapTimes) - median(fn.times))}`,
      `${median(fn.sourceMapRss) >= median(fn.rss) ? '+' : '−'}${mib(Math.abs(median(fn.sourceMapRss) - median(fn.rss)))}`,
    ];
  });
  const sourceMapAdded = FUNCTION_NAMES.map((name) => median(find(name).sourceMapTimes) - median(find(name).times));
  const sourceMapShare = FUNCTION_NAMES.map(
    (name) => (median(find(name).sourceMapTimes) - median(find(name).times)) / median(find(name).times),
  );
  const check: TargetCheck = {
    target: `Cold start, Node's source maps at start (\`NODE_OPTIONS=${SOURCE_MAPS_AT_START}\`, set by the stack before; now errors are mapped when logged): import time they add (no target)`,
    measured: `+${fmt(Math.min(...sourceMapAdded))}–${fmt(Math.max(...sourceMapAdded))} ms (+${fmt(Math.min(...sourceMapShare) * 100, 0)}–${fmt(Math.max(...sourceMapShare) * 100, 0)} %)`,
    met: true,
    info: true,
  };
  const lines = [
    "### Node's source maps at start (same rounds)",
    '',
    `The stack sets no \`NODE_OPTIONS\`. Until November 2026 it set \`${SOURCE_MAPS_AT_START}\` on every function, so that stack ` +
      "traces in logs named the TypeScript source; Node then reads and parses the bundle's source map (about as large as the bundle) " +
      'while importing it, at every cold start, for traces only an error log line needs. Now the logger maps the frames of a logged ' +
      "error through the shipped map when it first needs it (lib/source-mapped-stack.ts): a container's first logged error pays the " +
      "map's read and decode (~50 ms), where Node's first mapped stack paid the decode (~45 ms). The tables above are what deploys. " +
      `Each function imported once more in every round with \`NODE_OPTIONS=${SOURCE_MAPS_AT_START}\`:`,
    '',
    table(['function', 'import p50, ms', `with ${SOURCE_MAPS_AT_START}, ms`, 'added, ms', 'init RSS added (p50)'], sourceMapRows),
  ];
  return { lines, checks: [check] };
}

/** node:http taken as CommonJS (the stack's alias) against the ES module import the SDK's handler makes. */
export function nodeHttpSection({ find, httpShimmed }: Measurement): Section {
  const esmHttpSaved = httpShimmed.map((name) => median(find(withEsmHttp(name)).times) - median(find(name).times));
  const esmHttpRows = httpShimmed.map((name, i) => {
    const fn = find(name);
    const esm = find(withEsmHttp(name));
    const saved = esmHttpSaved[i]!;
    return [
      `\`${name}\``,
      fmt(median(esm.times)),
      fmt(median(fn.times)),
      `${saved >= 0 ? '−' : '+'}${fmt(Math.abs(saved))} (${fmt((Math.abs(saved) / median(esm.times)) * 100, 0)} %)`,
      `${mib(median(esm.rss))} → ${mib(median(fn.rss))}`,
    ];
  });
  const check: TargetCheck = {
    target: `Cold start, node:http taken as CommonJS (\`${NODE_HTTP_CJS}\`) instead of the SDK's ES module import (no target)`,
    measured: `${fmt(Math.min(...esmHttpSaved))} to ${fmt(Math.max(...esmHttpSaved))} ms saved per cold start (${httpShimmed.length} functions, Node ${process.version})`,
    met: true,
    info: true,
  };
  const lines = [
    '### node:http taken as CommonJS (same rounds)',
    '',
    "The AWS SDK's HTTP handler imports node:http as an ES module. On Node 22 and 24 Node builds that module by reading " +
      "every export of node:http, and its `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load Node's own copy of undici " +
      '(nodejs/node#57649; Node 20 has no such getters; `test/infra/node-http-alias.test.ts` fails when a Node release stops loading it). The stack aliases `http` and `node:http` to `' +
      NODE_HTTP_CJS +
      '` (infra/bundling.ts), the same module object taken as CommonJS, whose getters stay lazy. ' +
      'Each function whose bundle imports node:http, built once more without the alias and imported in every round, on Node ' +
      process.version +
      ':',
    '',
    table(
      ['function', 'node:http as an ES module, p50 ms', 'as CommonJS (shipped), p50 ms', 'saved, ms', 'init RSS p50'],
      esmHttpRows,
    ),
  ];
  return { lines, checks: [check] };
}

/** The SDK in the bundle (as shipped) against the runtime's copy (as shipped before), in the same rounds. */
export function runtimeSdkSection(m: Measurement): Section {
  const { find } = m;
  // Before the SDK was bundled: the function and its baseline both resolving the SDK from node_modules.
  const runtimeSdkBaselineOf = (name: FunctionName) => {
    const clients = sdkClientsOf(FUNCTION_SPECS[name]);
    return find(clients.length > 0 ? withRuntimeSdk(baselineName(clients)) : baselineName(clients));
  };
  const beforeOf = (name: FunctionName) => find(withRuntimeSdk(name));
  const againstRuntimeSdkOf = (name: FunctionName) => median(find(name).times) / median(runtimeSdkBaselineOf(name).times);
  const sdkRows = FUNCTION_NAMES.map((name) => {
    const fn = find(name);
    const before = beforeOf(name);
    const runtimeBaseline = runtimeSdkBaselineOf(name);
    return [
      `\`${name}\``,
      `${kib(before.bytes)} → ${kib(fn.bytes)}`,
      `${fmt(median(before.times))} → ${fmt(median(fn.times))}`,
      `${fmt(((median(fn.times) - median(before.times)) / median(before.times)) * 100, 0)} %`,
      `${mib(median(before.rss))} → ${mib(median(fn.rss))}`,
      fmt(median(runtimeBaseline.times)),
      `${fmt(median(before.times) / median(runtimeBaseline.times), 2)}× → ${fmt(againstRuntimeSdkOf(name), 2)}×`,
    ];
  });
  const fnMedianOf = (pick: (name: FunctionName) => Bundle) =>
    median(FUNCTION_NAMES.map((name) => median(pick(name).times)).filter(Number.isFinite));
  const shippedMedian = fnMedianOf(find);
  const beforeMedian = fnMedianOf(beforeOf);
  const withinRuntimeSdk = FUNCTION_NAMES.filter((name) => againstRuntimeSdkOf(name) <= TARGET_RATIO).length;
  const runtimeRatios = FUNCTION_NAMES.map(againstRuntimeSdkOf).filter(Number.isFinite);
  const checks: TargetCheck[] = [
    {
      target: "Cold start, absolute: median function import, SDK in the bundle vs the runtime's SDK (no target)",
      measured: `${fmt(shippedMedian)} ms vs ${fmt(beforeMedian)} ms (${fmt(((shippedMedian - beforeMedian) / beforeMedian) * 100, 0)} %)`,
      met: true,
      info: true,
    },
    {
      target: `Cold start against the runtime's SDK alone (the baseline before the SDK was bundled): functions ≤ ${TARGET_RATIO}×`,
      measured:
        `${withinRuntimeSdk}/${FUNCTION_NAMES.length}; ratios ` +
        `${fmt(Math.min(...runtimeRatios), 2)}–${fmt(Math.max(...runtimeRatios), 2)}×`,
      met: true,
      info: true,
    },
  ];
  const lines = [
    "### The SDK in the bundle vs the runtime's copy (same rounds)",
    '',
    "Each function as it was shipped before (the SDK external, loaded from the runtime's `node_modules`: many CommonJS files read, " +
      'compiled and evaluated) and as it is shipped now (the SDK minified and tree-shaken into the bundle). The last columns compare both with ' +
      "the baseline the target used before: the runtime's SDK clients alone.",
    '',
    table(
      [
        'function',
        'bundle: before → now',
        'import p50, ms: before → now',
        'change',
        'init RSS p50: before → now',
        "runtime's SDK alone, import p50, ms",
        "ratio to the runtime's SDK alone: before → now",
      ],
      sdkRows,
    ),
    '',
    `Median function import: ${fmt(beforeMedian)} ms → ${fmt(shippedMedian)} ms ` +
      `(${fmt(((shippedMedian - beforeMedian) / beforeMedian) * 100, 0)} %). ` +
      `Against the runtime's SDK alone, ${withinRuntimeSdk}/${FUNCTION_NAMES.length} functions now import within ${TARGET_RATIO}× of it.`,
  ];
  return { lines, checks };
}

/**
 * The probes, against the empty baseline measured in the same rounds (or the bundle each names); and the
 * configuration loader's saving over the same variables as zod/mini schemas, the target decision 0010 keeps it by.
 */
export function probesSection({ find }: Measurement): Section {
  const empty = find(baselineName([]));
  const probeRows = PROBES.map((probe) => {
    const bundle = find(probe.key);
    const reference = probe.against ? find(probe.against) : empty;
    return [
      probe.what,
      kib(bundle.bytes),
      `${fmt(median(bundle.times))} (min ${fmt(Math.min(...bundle.times))})`,
      `+${fmt(median(bundle.times) - median(reference.times))}${probe.against ? ` (over \`${probe.against}\`)` : ''}`,
    ];
  });
  const undiciWhole = find('probe[undici: index]');
  const undiciSubset = find('probe[undici: lib/undici.ts]');
  // Each configuration probe over the zod probe, from the medians its row shows: what lib/config.ts saves.
  const overZod = (key: string) => median(find(key).times) - median(find(ZOD_PROBE).times);
  const config = overZod(CONFIG_PROBE);
  const configAsZod = overZod(CONFIG_AS_ZOD_PROBE);
  const saved = configAsZod - config;
  const check: TargetCheck = {
    target:
      `Cold start: lib/config.ts saves ≥ ${CONFIG_SAVING_MS} ms per cold start over the same variables as zod/mini schemas ` +
      '(decision 0010: the loader stays only while it does)',
    measured: `${fmt(saved)} ms saved (lib/config.ts +${fmt(config)} ms, zod/mini +${fmt(configAsZod)} ms over the zod probe)`,
    met: saved >= CONFIG_SAVING_MS,
  };
  const lines = [
    '### What the stack costs on its own: undici, middy, Powertools, SDK clients constructed (probe bundles, same rounds)',
    '',
    table(['probe', 'bundle', 'import p50 (min), ms', 'over the empty baseline (or the one named), ms'], probeRows),
    '',
    `undici's index (fetch, WebSocket, caches, mocks…) is ${kib(undiciWhole.bytes)} and ${fmt(median(undiciWhole.times) - median(empty.times))} ms; ` +
      `the dispatchers the MX client and the webhook sender use, imported from their modules (lib/undici.ts), ${kib(undiciSubset.bytes)} and ` +
      `${fmt(median(undiciSubset.times) - median(empty.times))} ms. ` +
      "middy's core imports Node's web streams (`node:stream/web`, for streamed responses) whatever the handler; Powertools Logger builds its own " +
      '`Console` on stdout and stderr. Over a baseline with SDK clients the same probes cost less, as the SDK loads part of what they load (the floor bundles above measure that). ' +
      "Constructing SDK clients (each resolves its region, credential chain, endpoint rules and retry strategy) is in no baseline, which only imports them; the floors construct the clients of their function's spec, as each composition does at start (lib/compositions/), so that time is not counted as the function's own code.",
  ];
  return { lines, checks: [check] };
}

/**
 * Measured decomposition: the SDK the function uses, the SDK it loads without using, its own code. On minimums: each
 * bundle's least disturbed import, so the differences are not swamped by noise from other load.
 */
export function decompositionSection(m: Measurement): Section {
  const { find } = m;
  const fastest = (bundle: Bundle) => Math.min(...bundle.times);
  const decompositionRows = FUNCTION_NAMES.map((name) => {
    const fn = fastest(find(name));
    const used = fastest(baselineOf(m, name));
    const loaded = fastest(find(baselineName(clientsImported(find(name).metafile))));
    return [`\`${name}\``, fmt(fn), fmt(used), fmt(loaded - used), fmt(fn - loaded), `${fmt(((fn - loaded) / fn) * 100, 0)} %`];
  });
  const lines = [
    "### Where the time goes, measured: SDK used, SDK loaded but unused, own code (fastest of each bundle's imports, ms)",
    '',
    "Each function's import minus the baseline importing exactly the SDK packages its bundle loads is the time of its own code; " +
      'that baseline minus the baseline of the clients it uses is the SDK it loads for nothing.',
    '',
    table(
      ['function', 'import', 'SDK it uses', '+ SDK loaded, unused', '+ own code (undici, zod, project…)', 'own code share'],
      decompositionRows,
    ),
  ];
  return { lines, checks: [] };
}

/** What the bytes are (metafile) for every function. */
export function bundleBytesSection({ find }: Measurement): Section {
  const ownerBytes = FUNCTION_NAMES.map((name) => bytesByOwner(find(name).metafile));
  const owners = [...new Set(ownerBytes.flatMap((m) => [...m.keys()]))]
    .map((owner) => ({ owner, max: Math.max(...ownerBytes.map((m) => m.get(owner) ?? 0)) }))
    .sort((a, b) => b.max - a.max);
  const topOwners = owners.slice(0, 10);
  const rest = owners.slice(10);
  const byteRows = topOwners.map(({ owner }) => [owner, ...ownerBytes.map((m) => fmt((m.get(owner) ?? 0) / 1024, 0))]);
  byteRows.push([
    `${rest.length} others`,
    ...ownerBytes.map((m) => fmt(rest.reduce((total, { owner }) => total + (m.get(owner) ?? 0), 0) / 1024, 0)),
  ]);
  const lines = [
    '### What the bundles contain (esbuild metafile, `bytesInOutput`, KiB)',
    '',
    table(['owner', ...FUNCTION_NAMES.map((name) => `\`${name}\``)], byteRows),
  ];
  return { lines, checks: [] };
}

/** Where the time of the missing functions' own code goes: CPU profiles of the worst few and of their baselines. */
export function profilesSection(
  m: Measurement,
  { functions: profiled, bundles: profileTargets, byKey: profiles }: Profiles,
): Section {
  const { find } = m;
  let profileSection = 'Every function met its target; no profile needed.';
  const dominates: string[] = [];
  if (profiles.size > 0) {
    const profileOwners = [...new Set([...profiles.values()].flatMap((p) => [...p.keys()]))]
      .map((owner) => ({ owner, max: Math.max(...[...profiles.values()].map((p) => p.get(owner) ?? 0)) }))
      .filter((o) => o.max >= 0.5)
      .sort((x, y) => y.max - x.max)
      .map((o) => o.owner);
    const profileRows = profileOwners.map((owner) => [
      owner,
      ...profileTargets.map((b) => fmt(profiles.get(b.key)!.get(owner) ?? 0)),
    ]);
    profileRows.push(['**total sampled**', ...profileTargets.map((b) => `**${fmt(sumOf(profiles.get(b.key)!.values()))}**`)]);
    profileSection = table(['self time, ms', ...profileTargets.map((b) => `\`${b.key}\``)], profileRows);

    for (const name of profiled) {
      const fnProfile = profiles.get(name)!;
      const baseProfile = profiles.get(baselineName(clientsImported(find(name).metafile)))!;
      const extra = [...fnProfile.keys()]
        .map((owner) => ({ owner, ms: (fnProfile.get(owner) ?? 0) - (baseProfile.get(owner) ?? 0) }))
        .filter((o) => o.ms >= 1)
        .sort((x, y) => y.ms - x.ms);
      const extraTotal = sumOf(extra.map((o) => o.ms));
      dominates.push(
        `- \`${name}\` (${fmt(ratioOf(m, name), 2)}×; ${fmt(extraTotal)} ms of sampled self time over its baseline): ` +
          extra
            .slice(0, 6)
            .map((o) => `${o.owner} ${fmt(o.ms)} ms (${fmt((o.ms / extraTotal) * 100, 0)} %)`)
            .join(', ') +
          '.',
      );
    }
  }
  const lines = [
    `### Where the import time goes (CPU profile of the import, self time by owner, mean of ${PROFILE_RUNS} profiled imports, 100 µs sampling)`,
    '',
    `The ${profiled.length} functions furthest from the target and the baselines loading the same SDK packages. ` +
      "Bundle frames are mapped through the bundle's source map to the original package. Profiling slows the import, so totals exceed the unprofiled medians: compare columns with each other.",
    '',
    profileSection,
    '',
    ...(dominates.length > 0 ? ["**What dominates** (profile minus its baseline's):", '', ...dominates] : []),
  ];
  return { lines, checks: [] };
}

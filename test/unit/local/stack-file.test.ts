import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logFilePath } from '../../../infra/local/stack-file.ts';
import { QUEUE_NAMES } from '../../../lib/queue/queue-names.ts';

/** A stack file as `npm start` writes it, served by `pid`. */
function stackFileOf(pid: number): string {
  const path = join(mkdtempSync(join(tmpdir(), 'stack-file-')), 'stack.json');
  const urls = Object.fromEntries(QUEUE_NAMES.map((name) => [name, `http://127.0.0.1:9/q/${name}`]));
  const endpoint = 'http://127.0.0.1:9';
  writeFileSync(
    path,
    JSON.stringify({
      url: 'http://127.0.0.1:3000',
      apiKey: 'nxr_local',
      simulatorUrl: null,
      dynamodb: { endpoint, region: 'us-east-1', tableName: 'nexus-relay' },
      queues: { endpoint, region: 'us-east-1', urls, deadLetterUrls: urls },
      pid,
      startedAt: new Date().toISOString(),
    }),
  );
  return path;
}

describe('logFilePath: where npm start writes its JSON lines', () => {
  it('is logs/stack.jsonl beside the stack file this stack owns, or that none owns', () => {
    const ours = stackFileOf(process.pid);
    expect(logFilePath({ NEXUS_RELAY_STACK_FILE: ours })).toBe(join(ours, '..', 'logs', 'stack.jsonl'));
    const stale = stackFileOf(2 ** 22 + 1); // Above Linux's pid_max: no such process.
    expect(logFilePath({ NEXUS_RELAY_STACK_FILE: stale }, 4242)).toBe(join(stale, '..', 'logs', 'stack.jsonl'));
  });

  it("is the stack's own file while another running stack owns the stack file, so two never share one", () => {
    // This worker's pid stands for the other stack's (it is running); ours is any other: a fixed one may be the
    // worker's own, pids wrap.
    const theirs = stackFileOf(process.pid);
    const ours = process.pid + 1;
    expect(logFilePath({ NEXUS_RELAY_STACK_FILE: theirs }, ours)).toBe(join(theirs, '..', 'logs', `stack-${ours}.jsonl`));
  });

  it('is NEXUS_RELAY_LOG_FILE when set', () => {
    expect(logFilePath({ NEXUS_RELAY_LOG_FILE: '/tmp/mine.jsonl' })).toBe('/tmp/mine.jsonl');
  });
});

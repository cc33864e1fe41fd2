import { readFileSync } from 'node:fs';
import type { ResumeAnswers } from '@nexus-relay/client';
import type { Command } from 'commander';
import { collectGuidValue } from '../arguments.ts';
import { action } from '../context.ts';
import { usageError } from '../errors.ts';
import { addWatchFlags, printOrFollow, type WatchFlags } from '../job-watch.ts';
import type { Terminal } from '../output.ts';

interface ResumeOptions extends WatchFlags {
  answer: ResumeAnswers;
  answersFile?: string;
}

export function registerResume(program: Command, terminal: Terminal): void {
  const command = program
    .command('resume')
    .description(
      'answer the MFA challenges of a member’s action_required job (the refresh prints them); with --watch follow ' +
        'the job on (exit codes as refresh --watch). The answers are sent once and never printed.',
    )
    .argument('<user_id>', 'the partner’s user id')
    .argument('<member_guid>', 'MBR-…')
    .option('--answer <guid=value>', 'one challenge’s answer (repeat for each challenge)', collectGuidValue, [])
    .option('--answers-file <file>', 'the answers as JSON: {"challenges":[{"guid":"…","value":"…"}]} (as refresh prints)');
  addWatchFlags(command).action(
    action(terminal, async ({ output, api, calls }, userId: string, memberGuid: string, options: ResumeOptions) => {
      const challenges = answersOf(options);
      const startedAt = performance.now();
      const client = api();
      const job = await client.members.resume({ user_id: userId, member_guid: memberGuid, challenges }, calls);
      return printOrFollow({ api: client, output, job, startedAt, flags: options });
    }),
  );
}

function answersOf(options: ResumeOptions): ResumeAnswers {
  if (options.answersFile !== undefined && options.answer.length > 0) {
    throw usageError('give the answers either with --answer or in --answers-file, not both');
  }
  if (options.answersFile === undefined) {
    if (options.answer.length === 0)
      throw usageError('give each challenge’s answer: --answer GUID=VALUE, or --answers-file FILE');
    return options.answer;
  }
  let document: unknown;
  try {
    document = JSON.parse(readFileSync(options.answersFile, 'utf8'));
  } catch (error) {
    throw usageError(`--answers-file ${options.answersFile}: ${(error as Error).message.split('\n')[0]}`);
  }
  const challenges = Array.isArray(document) ? document : (document as { challenges?: unknown } | null)?.challenges;
  const valid =
    Array.isArray(challenges) &&
    challenges.length > 0 &&
    challenges.every(
      (entry) => typeof entry === 'object' && entry !== null && typeof entry.guid === 'string' && typeof entry.value === 'string',
    );
  if (!valid) {
    throw usageError(`--answers-file ${options.answersFile}: expected {"challenges":[{"guid":"…","value":"…"}]}`);
  }
  return (challenges as ResumeAnswers).map(({ guid, value }) => ({ guid, value }));
}

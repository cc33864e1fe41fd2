import { suggest } from './suggest.ts';
import { type Problem, RelayNetworkError, RelayProblemError, RelayWaitTimeoutError } from '@nexus-relay/client';

/**
 * Every failure the CLI reports is a problem document with the API's fields (its `Problem`, from the OpenAPI document
 * through the client kit): the API's problems pass through as they came, and the CLI's own failures (no target,
 * unreachable, DynamoDB, the simulator, a bad command line) fill the same fields with codes of the CLI's own and, where
 * it knows one, a `fix`, so `--json` callers parse one shape.
 */
export type ProblemFields = Partial<Omit<Problem, 'title' | 'code'>> & {
  title: string;
  code?: Problem['code'] | (string & {});
  fix?: string;
};

/** The API's documents may carry more; they pass through. */
export type ProblemDocument = ProblemFields & { type: string } & Record<string, unknown>;

export class CliError extends Error {
  readonly problem: ProblemDocument;
  readonly exitCode: number;

  constructor(problem: ProblemFields & Record<string, unknown>, options: { exitCode?: number; cause?: unknown } = {}) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title, { cause: options.cause });
    this.name = 'CliError';
    const { type, ...rest } = problem;
    this.problem = {
      type: type ?? `https://nexus-relay.dev/cli-problems/${(problem.code ?? 'error').replaceAll('_', '-')}`,
      ...rest,
    };
    this.exitCode = options.exitCode ?? 1;
  }
}

/** The command line itself is wrong (unknown option, missing argument, conflicting flags). */
export const usageError = (detail: string) => new CliError({ title: 'Invalid command line', detail, code: 'usage' });

/**
 * Commander's message, with a hint when a value was taken for a short option: a key prefix may begin with `-`.
 * @example usageDetail("error: unknown option '-Ab3'") // "unknown option '-Ab3' (a value that begins with - goes after --: `-- -Ab3`)"
 */
export function usageDetail(message: string): string {
  const detail = message.replace(/^error: /, '').trimEnd();
  const value = /^unknown option '(-[^-\s]{2,})'/.exec(detail)?.[1];
  return value === undefined ? detail : `${detail} (a value that begins with - goes after --: \`-- ${value}\`)`;
}

/** A server that did not answer: its URL, why (how long it was waited for, if it timed out), and what to check. */
export function unreachable(url: string, error: unknown, timeoutMs: number | undefined): CliError {
  const cause = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
  const timedOut = (error instanceof Error && error.name === 'TimeoutError') || (error as { code?: string }).code === 'timeout';
  return new CliError(
    {
      title: timedOut ? 'No answer in time' : 'Cannot reach the server',
      detail: `${url}: ${timedOut ? `no answer${timeoutMs === undefined ? '' : ` within ${timeoutMs / 1000} s`}` : cause}. Is it running? (locally: \`npm start\`)`,
      code: 'unreachable',
    },
    { cause: error },
  );
}

/**
 * Anything thrown, as a problem: the API's problems as it sent them (through the client kit's typed errors), the
 * CLI's own failures by their message; never with a stack trace.
 */
export function toCliError(error: unknown): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof RelayProblemError) return new CliError({ ...error.problem }, { cause: error });
  if (error instanceof RelayNetworkError) return unreachable(origin(error.url), error.cause ?? error, error.timeoutMs);
  if (error instanceof RelayWaitTimeoutError) {
    return new CliError(
      {
        title: 'Watch timed out',
        detail: `${error.message}; follow it with \`${suggest(`jobs get ${error.jobId}`)}\`.`,
        code: 'watch_timeout',
      },
      { cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new CliError({ title: 'Unexpected failure', detail: message, code: 'unexpected' }, { cause: error });
}

/** An AWS SDK failure as a problem naming what was called (`where`), with AWS's request id when it gave one. */
export function awsProblem(service: 'DynamoDB' | 'SQS', code: string, where: string, error: unknown): CliError {
  const failure = error as Error & { $metadata?: { requestId?: string; httpStatusCode?: number }; code?: string };
  const unreachable = failure.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(failure.message ?? '');
  return new CliError(
    {
      title: unreachable ? `Cannot reach ${service}` : `${service} request failed`,
      detail: `${where}: ${failure.name ?? 'Error'}: ${failure.message}${unreachable ? ' Is the local stack running? (`npm start`)' : ''}`,
      code,
      ...(failure.$metadata?.httpStatusCode === undefined ? {} : { status: failure.$metadata.httpStatusCode }),
      ...(failure.$metadata?.requestId === undefined ? {} : { request_id: failure.$metadata.requestId }),
    },
    { cause: error },
  );
}

const origin = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
};

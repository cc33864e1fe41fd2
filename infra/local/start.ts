import { parseArgs } from 'node:util';
import { ConfigError } from '../../lib/errors.ts';
import { startLocalStack, type LocalStack } from './local-stack.ts';
import { endOfLifeNotice } from './node-support.ts';
import { showShortLog } from './log-view.ts';
import { describeMxTarget, mxTargetOf } from './mx-target.ts';
import { assertPortsFree, PortInUseError, PortSettingError, PortsInUseError, portsFrom } from './ports.ts';
import {
  describeStack,
  logFilePath,
  readStackFile,
  removeStackFile,
  stackFilePath,
  StackFileError,
  writeStackFile,
} from './stack-file.ts';

// The AWS SDK warns on every start that it will drop Node 20 in 2027; the Lambdas run on nodejs24.x.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({ options: { persist: { type: 'string' }, 'json-logs': { type: 'boolean' } } });

const endOfLife = endOfLifeNotice(process.version, new Date());
if (endOfLife) console.log(endOfLife);

try {
  const ports = portsFrom(process.env);
  const mx = mxTargetOf(process.env);
  await assertPortsFree(ports);
  // From here every JSON line the functions write goes to the file; the terminal gets short lines (log-view.ts).
  const logFile = values['json-logs'] ? undefined : showShortLog(logFilePath()).file;
  const stack = await startLocalStack({
    port: ports.gateway,
    simPort: ports.simulator,
    dynamoDbPort: ports.dynamodb,
    sqsPort: ports.sqs,
    persistDir: values.persist,
  });
  console.log(describeMxTarget(mx, stack.simulatorUrl));
  console.log(`refresh requests queue: ${stack.engines.queueUrls['refresh-requests']} (npm run refresh-request)`);
  if (process.env.WEBHOOK_ALLOW_LOOPBACK === 'true') {
    console.log('webhook URLs on http://127.0.0.1 and http://localhost are allowed (local only; deployed stacks refuse them)');
  }
  console.log(`api key: ${stack.apiKey}${stack.apiKeyGenerated ? ' (generated; set LOCAL_API_KEY to choose one)' : ''}`);
  publishStackFile(stack);
  if (logFile) {
    console.log(
      `logs: a line per request and job transition here; every JSON log and metric line in ${logFile} (--json-logs prints them here)`,
    );
  }
  console.log(`console: ${stack.url}/console (sign in with the api key above)`);
  console.log(`nexus-relay listening on ${stack.url}`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: stopping`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  // What the user can fix is said in one line; anything else is a bug, with its stack.
  const known =
    error instanceof ConfigError ||
    error instanceof PortInUseError ||
    error instanceof PortsInUseError ||
    error instanceof PortSettingError;
  console.error(known ? error.message : error);
  process.exit(1);
}

/**
 * Describes this stack in the stack file (for `nexus-relay` and `npm run demo`), unless the file belongs to another
 * stack that is still running: the first `npm start` keeps it, later ones say where to point their own.
 * The file goes when this process exits, if it is still ours.
 */
function publishStackFile(stack: LocalStack): void {
  const path = stackFilePath();
  try {
    const current = readStackFile(path);
    if (current && current.pid !== process.pid) {
      console.log(`stack file: ${path} belongs to the stack of pid ${current.pid}; not replaced (set NEXUS_RELAY_STACK_FILE)`);
      return;
    }
  } catch (error) {
    if (!(error instanceof StackFileError)) throw error;
    // Not a stack file we can read: this stack's description replaces it.
  }
  writeStackFile(describeStack(stack), path);
  process.on('exit', () => removeStackFile(process.pid, path));
  console.log(`stack file: ${path} (nexus-relay CLI: npm run cli -- --help)`);
}

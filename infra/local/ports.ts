import { createServer } from 'node:net';

/**
 * The local stack's listeners and the variable that chooses each one's port. Every listener binds 127.0.0.1 (a
 * laptop on café Wi-Fi serves nobody else); 0 means any free port, and the stack file says which one it got.
 */
export const PORT_VARIABLES = {
  gateway: { variable: 'PORT', fallback: 3000 },
  simulator: { variable: 'MX_SIM_PORT', fallback: 3001 },
  dynamodb: { variable: 'DYNAMODB_PORT', fallback: 0 },
  sqs: { variable: 'SQS_PORT', fallback: 0 },
} as const;
export type Listener = keyof typeof PORT_VARIABLES;
export type Ports = Record<Listener, number>;

export const LOOPBACK = '127.0.0.1';

/** A port a listener was told to use is taken: the message names the variable to change, and nothing else. */
export class PortInUseError extends Error {
  override name = 'PortInUseError';
  readonly code = 'port_in_use';
  constructor(
    readonly variable: string,
    readonly port: number,
    options?: { cause?: unknown },
  ) {
    super(`Port ${port} is taken (${variable}): set ${variable} to a free port, or to 0 for any free port.`, options);
  }
}

/** Several ports are taken: one line for each (PortInUseError's), so one look fixes them all. */
export class PortsInUseError extends Error {
  override name = 'PortsInUseError';
  readonly code = 'ports_in_use';
  constructor(readonly taken: readonly PortInUseError[]) {
    super(taken.map((error) => error.message).join('\n'));
  }
}

/** A port setting that is not a port number. */
export class PortSettingError extends Error {
  override name = 'PortSettingError';
  readonly code = 'invalid_port';
}

/** The ports from the environment (`PORT`, `MX_SIM_PORT`, `DYNAMODB_PORT`, `SQS_PORT`), defaults where unset. */
export function portsFrom(env: Record<string, string | undefined>): Ports {
  const ports = {} as Ports;
  for (const [listener, { variable, fallback }] of Object.entries(PORT_VARIABLES) as [
    Listener,
    (typeof PORT_VARIABLES)[Listener],
  ][]) {
    const raw = env[variable];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65_535) {
      throw new PortSettingError(`${variable} must be a port number (0–65535, 0 = any free port), got "${raw}".`);
    }
    ports[listener] = value;
  }
  return ports;
}

/** Starts a listener; a taken port becomes a PortInUseError naming the listener's variable. */
export async function listenOn<T>(listener: Listener, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new PortInUseError(PORT_VARIABLES[listener].variable, port, { cause: error });
    }
    throw error;
  }
}

/**
 * Every fixed port (not 0) another process holds on 127.0.0.1, found before anything starts, so a second `npm start`
 * names them all at once rather than one per attempt. listenOn still guards each listener (a port may be taken in
 * between).
 */
export async function assertPortsFree(ports: Ports): Promise<void> {
  const taken: PortInUseError[] = [];
  for (const [listener, port] of Object.entries(ports) as [Listener, number][]) {
    if (port !== 0 && !(await isFree(port))) taken.push(new PortInUseError(PORT_VARIABLES[listener].variable, port));
  }
  if (taken.length === 1) throw taken[0]!;
  if (taken.length > 1) throw new PortsInUseError(taken);
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
    probe.listen(port, LOOPBACK, () => probe.close(() => resolve(true)));
  });
}

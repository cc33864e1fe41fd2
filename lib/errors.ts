/**
 * Base class for every error nexus-relay raises on purpose. `code` is stable (safe to branch on and to
 * document); `message` is for humans and may change. Like undici's errors, subclasses set `name`.
 */
export class NexusRelayError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NexusRelayError';
    this.code = code;
  }
}

/** Configuration missing or invalid: raised at start-up, names every offending variable. */
export class ConfigError extends NexusRelayError {
  readonly variables: string[];

  constructor(variables: string[], message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

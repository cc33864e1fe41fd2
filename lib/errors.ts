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

/** The thing asked for does not exist, or is not this caller's to see (the API answers 404 `not_found`). */
export class NotFoundError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

/**
 * The current state does not allow the change, or changed under it (409 `conflict`): reading the state again and
 * retrying may succeed.
 */
export class ConflictError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'CONFLICT', message, options);
    this.name = 'ConflictError';
  }
}

/**
 * The user was erased (410 `user_erased`): nothing is served or made for it again, at MX or here, until an operator
 * lifts its erasure (lib/connect/erased-users.ts).
 */
export class UserErasedError extends NexusRelayError {
  constructor(message = 'This user was erased: nothing is served or made for it again.') {
    super('USER_ERASED', message);
    this.name = 'UserErasedError';
  }
}

/** A value given to the domain is not acceptable (400 `validation_failed`); `field` names it as the caller sent it. */
export class InvalidInputError extends NexusRelayError {
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}

/**
 * A `cursor` this service did not issue for this list or this user, or one modified or cut short (400
 * `invalid_cursor`): list pages and transactions sync alike.
 */
export class InvalidCursorError extends InvalidInputError {
  constructor(reason: string) {
    super('cursor', `The cursor is not valid here: ${reason}. Pass a next_cursor exactly as this API returned it.`, {
      code: 'INVALID_CURSOR',
    });
    this.name = 'InvalidCursorError';
  }
}

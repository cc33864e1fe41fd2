/** Base of every error nexus-relay raises on purpose. `code` is stable to branch on; `message` is for humans and may change. */
export class NexusRelayError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NexusRelayError';
    this.code = code;
  }
}

/** Raised at start-up; names every offending variable. */
export class ConfigError extends NexusRelayError {
  readonly variables: string[];

  constructor(variables: string[], message: string) {
    super('CONFIG_INVALID', message);
    this.name = 'ConfigError';
    this.variables = variables;
  }
}

/** Absent, or not this caller's to see (404). */
export class NotFoundError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOT_FOUND', message, options);
    this.name = 'NotFoundError';
  }
}

/** The state does not allow the change, or changed under it (409): reading it again and retrying may succeed. */
export class ConflictError extends NexusRelayError {
  constructor(message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'CONFLICT', message, options);
    this.name = 'ConflictError';
  }
}

/** 410: nothing is served or made for an erased user again, at MX or here, until an operator lifts its erasure. */
export class UserErasedError extends NexusRelayError {
  constructor(message = 'This user was erased: nothing is served or made for it again.') {
    super('USER_ERASED', message);
    this.name = 'UserErasedError';
  }
}

/** 400; `field` names the value as the caller sent it. */
export class InvalidInputError extends NexusRelayError {
  readonly field: string;

  constructor(field: string, message: string, options?: { cause?: unknown; code?: string }) {
    super(options?.code ?? 'INVALID_INPUT', message, options);
    this.name = 'InvalidInputError';
    this.field = field;
  }
}

/** A cursor not issued for this list and user, or altered (400). */
export class InvalidCursorError extends InvalidInputError {
  constructor(reason: string) {
    super('cursor', `The cursor is not valid here: ${reason}. Pass a next_cursor exactly as this API returned it.`, {
      code: 'INVALID_CURSOR',
    });
    this.name = 'InvalidCursorError';
  }
}

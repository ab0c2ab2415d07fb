/**
 * Typed errors with a stable `code`. The HTTP API maps codes to status in one place
 * (api/http-errors.ts); the CLI maps them to messages and exit codes (cli/output.ts).
 * A message says what went wrong and, where it helps, what to do.
 */
export const ErrorCodes = [
  'BAD_REQUEST',
  'NOT_FOUND',
  'AMBIGUOUS',
  'CONFLICT',
  'FORBIDDEN',
  'UNAUTHORIZED',
  'NOT_INITIALIZED',
  'NODE_NOT_RUNNING',
  'NODE_ALREADY_RUNNING',
  'INVITE_INVALID',
  'INVITE_EXPIRED',
  'INVITE_SPENT',
  'INVITE_REVOKED',
  'PEER_UNREACHABLE',
  'LOG_INVALID',
  'PROTOCOL',
  'TIMEOUT',
  'ABORTED',
  'STORE',
  'INVALID_NAME',
  'NOT_EMPTY',
  'DISK_FULL',
  'FS',
  'BLOCK_INVALID',
  /** The change would leave a space with no admin. */
  'LAST_ADMIN',
  /** More bytes than a limit set on this node allows (e.g. the web app's upload limit). */
  'TOO_LARGE',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ErrorCodes as readonly string[]).includes(value);
}

export class AgoraError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AgoraError';
    this.code = code;
    this.details = options?.details;
  }
}

export class BadRequestError extends AgoraError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('BAD_REQUEST', message, { details });
    this.name = 'BadRequestError';
  }
}

export class NotFoundError extends AgoraError {
  constructor(message: string) {
    super('NOT_FOUND', message);
    this.name = 'NotFoundError';
  }
}

export class ForbiddenError extends AgoraError {
  constructor(message: string) {
    super('FORBIDDEN', message);
    this.name = 'ForbiddenError';
  }
}

export class InviteError extends AgoraError {
  constructor(code: 'INVITE_INVALID' | 'INVITE_EXPIRED' | 'INVITE_SPENT' | 'INVITE_REVOKED', message: string) {
    super(code, message);
    this.name = 'InviteError';
  }
}

export class PeerUnreachableError extends AgoraError {
  /**
   * @param attempts what was tried and how each failed ("10.1.0.2:7000: timed out after 5000 ms",
   *   "DHT: ..."), so that a caller's own message can say it
   */
  constructor(
    message: string,
    cause?: unknown,
    readonly attempts: readonly string[] = [],
  ) {
    super('PEER_UNREACHABLE', message, { cause });
    this.name = 'PeerUnreachableError';
  }
}

export class LogInvalidError extends AgoraError {
  constructor(message: string) {
    super('LOG_INVALID', message);
    this.name = 'LogInvalidError';
  }
}

export class ProtocolError extends AgoraError {
  constructor(message: string, cause?: unknown) {
    super('PROTOCOL', message, { cause });
    this.name = 'ProtocolError';
  }
}

export class AbortedError extends AgoraError {
  constructor(message = 'The operation was cancelled.') {
    super('ABORTED', message);
    this.name = 'AbortedError';
  }
}

export class TimeoutError extends AgoraError {
  constructor(message: string) {
    super('TIMEOUT', message);
    this.name = 'TimeoutError';
  }
}

/** A path that would leave a folder, or a name other systems cannot hold. */
export class InvalidNameError extends AgoraError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('INVALID_NAME', message, { details });
    this.name = 'InvalidNameError';
  }
}

/** A file-system operation failed; `details.errno` keeps the system code (ENOENT, EACCES, ...). */
export class FsError extends AgoraError {
  constructor(code: 'FS' | 'NOT_EMPTY' | 'DISK_FULL', message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(code, message, options);
    this.name = 'FsError';
  }
}

/** Throws AbortedError if the signal has fired. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortedError();
}

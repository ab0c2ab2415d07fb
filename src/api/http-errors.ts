import { AgoraError, type ErrorCode } from '../errors/index.js';

/** The one place where error codes become HTTP statuses. */
const statusByCode: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  NOT_FOUND: 404,
  AMBIGUOUS: 409,
  CONFLICT: 409,
  FORBIDDEN: 403,
  UNAUTHORIZED: 401,
  NOT_INITIALIZED: 409,
  NODE_NOT_RUNNING: 503,
  NODE_ALREADY_RUNNING: 409,
  INVITE_INVALID: 400,
  INVITE_EXPIRED: 410,
  INVITE_SPENT: 410,
  INVITE_REVOKED: 410,
  PEER_UNREACHABLE: 502,
  LOG_INVALID: 502,
  PROTOCOL: 502,
  TIMEOUT: 504,
  ABORTED: 499,
  STORE: 500,
  INVALID_NAME: 400,
  NOT_EMPTY: 409,
  DISK_FULL: 507,
  FS: 500,
  BLOCK_INVALID: 502,
  LAST_ADMIN: 409,
  TOO_LARGE: 413,
  INTERNAL: 500,
};

export function httpStatus(err: unknown): number {
  return err instanceof AgoraError ? statusByCode[err.code] : 500;
}

export function errorBody(err: unknown): { error: { code: string; message: string } } {
  if (err instanceof AgoraError) return { error: { code: err.code, message: err.message } };
  const validation = err as { validation?: unknown; message?: string; statusCode?: number };
  if (validation.validation || validation.statusCode === 400) {
    return { error: { code: 'BAD_REQUEST', message: `Invalid request: ${validation.message ?? 'bad input'}` } };
  }
  return { error: { code: 'INTERNAL', message: 'Internal error in the Agora node; see its log (node.log in its home).' } };
}

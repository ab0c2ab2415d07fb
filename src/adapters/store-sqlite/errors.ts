import Database from 'better-sqlite3';
import { AgoraError } from '../../errors/index.js';

/**
 * Turns what SQLite (or the file system, while opening) reports into AgoraError('STORE') with a
 * message a user can act on. Our own AgoraErrors and programming errors pass through untouched.
 */
export function toStoreError(err: unknown, file: string): unknown {
  if (err instanceof AgoraError) return err;
  if (err instanceof Database.SqliteError) {
    return new AgoraError('STORE', sqliteMessage(err.code, file, err.message), {
      cause: err,
      details: { file, sqliteCode: err.code },
    });
  }
  if (err instanceof TypeError && /database connection is not open/i.test(err.message)) {
    return new AgoraError('STORE', `The store ${file} is closed.`, { cause: err, details: { file } });
  }
  if (isFsError(err)) {
    return new AgoraError('STORE', `Cannot open the database ${file}: ${err.message}. Check that its directory exists and is writable.`, {
      cause: err,
      details: { file, fsCode: err.code },
    });
  }
  return err;
}

function sqliteMessage(code: string, file: string, raw: string): string {
  // Extended codes (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT...) share the primary code's advice.
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0] ?? code;
  switch (primary) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return `The database ${file} is locked by another process. Stop the other Agora node using this home directory, or give this one its own home.`;
    case 'SQLITE_FULL':
      return `The disk holding ${file} is full. Free some space and try again.`;
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return `The database ${file} is corrupt or is not an Agora database (${raw}). Move it aside and restore it from a backup, or start with a fresh home.`;
    case 'SQLITE_READONLY':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return `The database ${file} cannot be written (${raw}). Check the permissions of the file and its directory.`;
    case 'SQLITE_CANTOPEN':
      return `Cannot open the database ${file} (${raw}). Check that its directory exists and is writable.`;
    case 'SQLITE_IOERR':
      return `Disk error on the database ${file} (${raw}). Check the disk; if it persists, restore the database from a backup.`;
    default:
      return `Database error on ${file}: ${raw} (${code}).`;
  }
}

function isFsError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined;
}

/** Calls fn, translating its failure (see toStoreError). */
export function guard<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw toStoreError(err, file);
  }
}

/** Wraps every method of a repository in `guard`, so callers never see a raw SqliteError. */
export function guarded<R extends object>(file: string, repo: R): R {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(repo)) {
    out[key] =
      typeof value === 'function'
        ? (...args: unknown[]) => guard(file, () => (value as (...a: unknown[]) => unknown).apply(repo, args))
        : value;
  }
  return out as R;
}

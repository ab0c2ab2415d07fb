import { FsError } from '../../errors/index.js';

/**
 * The errors both FolderFs adapters throw, built in one place so that the memory adapter used by
 * simulations fails exactly like the real one: same code, same details.errno, same wording.
 */

/** A system error code such as 'ENOENT', or undefined if `err` carries none. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = (err as { code: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

export function isMissing(err: unknown): boolean {
  const errno = errnoOf(err);
  return errno === 'ENOENT' || errno === 'ENOTDIR';
}

/**
 * Maps a failure of `op` (a verb: 'write', 'rename', ...) on folder-relative `path` to an FsError.
 * ENOSPC/EDQUOT become DISK_FULL whatever the operation; the rest keep their errno in details.
 */
export function toFsError(err: unknown, op: string, root: string, path: string): FsError {
  if (err instanceof FsError) return err;
  const errno = errnoOf(err) ?? 'EUNKNOWN';
  const where = describePath(root, path);
  if (errno === 'ENOSPC' || errno === 'EDQUOT') {
    const what = errno === 'EDQUOT' ? 'your disk quota is used up' : 'the disk is full';
    return new FsError(
      'DISK_FULL',
      `Could not ${op} ${where}: ${what}. Free some space on the disk that holds ${root} ` +
        '(or move the folder to a larger disk); Agora retries on its own.',
      { cause: err, details: { errno, path, root } },
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new FsError('FS', `Could not ${op} ${where} (${errno}): ${reason}`, { cause: err, details: { errno, path, root } });
}

/** A failure the adapter detects itself (no system error behind it), e.g. a missing file in memory. */
export function fsErrorFor(errno: string, op: string, root: string, path: string, reason: string): FsError {
  return toFsError(Object.assign(new Error(reason), { code: errno }), op, root, path);
}

export function notEmptyError(root: string, path: string, cause?: unknown): FsError {
  return new FsError('NOT_EMPTY', `Could not remove the folder ${describePath(root, path)}: it is not empty.`, {
    cause,
    details: { errno: 'ENOTEMPTY', path, root },
  });
}

/**
 * Refusal to write below a symbolic link (or a non-directory) inside the folder: the link could
 * point anywhere, and following it would write outside the folder. errno 'ELOOP' is what the
 * system itself reports for O_NOFOLLOW on a link, so callers can treat both alike.
 */
export function linkInPathError(op: string, root: string, path: string, component: string, isLink: boolean): FsError {
  const what = isLink ? 'a symbolic link' : 'not a folder';
  return new FsError(
    'FS',
    `Refusing to ${op} ${describePath(root, path)}: ${JSON.stringify(component)} is ${what}, ` +
      'and Agora never writes through links or outside the shared folder.',
    { details: { errno: isLink ? 'ELOOP' : 'ENOTDIR', path, root, component } },
  );
}

function describePath(root: string, path: string): string {
  return path === '' ? `the folder ${root}` : `${JSON.stringify(path)} in ${root}`;
}

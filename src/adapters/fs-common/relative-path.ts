import { InvalidNameError } from '../../errors/index.js';

/**
 * Folder-relative paths, checked the same way by every FolderFs adapter. A path is '' (the root)
 * or '/'-separated names. Anything that could address something outside the root on some system
 * is refused outright rather than normalised, so that a bug or a hostile peer cannot smuggle
 * '..' or a Windows drive past a check that only one platform understands.
 */

// A segment like 'C:' or 'c:foo' is a drive (or a drive-relative path) to Windows path functions.
const DRIVE_PREFIX = /^[A-Za-z]:/;

/** Splits a folder-relative path into its names; [] for the root. Throws InvalidNameError. */
export function splitRelativePath(path: string): string[] {
  if (path === '') return [];
  if (path.includes('\0')) refuse(path, 'it contains a NUL character');
  if (path.includes('\\')) refuse(path, "it contains a backslash; use '/' between names");
  if (path.startsWith('/')) refuse(path, 'it is absolute; paths are relative to the folder');
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') refuse(path, "it has an empty name (a leading, trailing or doubled '/')");
    if (segment === '..') refuse(path, "it contains '..', which would leave the folder");
    // '.' cannot escape, but two spellings of one path would confuse whoever compares paths.
    if (segment === '.') refuse(path, "it contains '.'");
    if (DRIVE_PREFIX.test(segment)) refuse(path, 'it names a drive, which would leave the folder on Windows');
  }
  return segments;
}

/**
 * Like splitRelativePath, but refuses the root itself: renaming or removing the folder root is
 * never what a caller means, and on disk it would take the whole shared folder with it.
 */
export function splitEntryPath(path: string, op: string): string[] {
  const segments = splitRelativePath(path);
  if (segments.length === 0) {
    throw new InvalidNameError(`Refusing to ${op} the shared folder itself; name an entry inside it.`, { path });
  }
  return segments;
}

/** The canonical spelling of already-split names. */
export function joinRelativePath(segments: readonly string[]): string {
  return segments.join('/');
}

function refuse(path: string, why: string): never {
  throw new InvalidNameError(`Refusing the path ${JSON.stringify(path)}: ${why}.`, { path });
}

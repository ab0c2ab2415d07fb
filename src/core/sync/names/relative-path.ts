import { InvalidNameError } from '../../../errors/index.js';
import { isTempName } from './temp-names.js';

/**
 * Folder-relative paths as the index stores them and peers send them: '/'-separated,
 * NFC, never leaving the folder. Every path from the wire passes through
 * validateRelativePath before it reaches the disk, so this is the wall between a
 * hostile or buggy peer and the rest of the user's file system.
 *
 * Names that only Windows or macOS cannot hold are not refused: a Linux peer can
 * keep them, and refusing would make a mixed group lose files. windowsProblem
 * reports them so the UI can say why a file is missing on some peers.
 */

export const MAX_PATH_BYTES = 4096;
export const MAX_SEGMENT_BYTES = 255;

/** The engine's own directory at the top of a shared folder. */
export const ENGINE_DIR = '.agora';

// Case-insensitive and blind to trailing dots/spaces because that is how Windows
// and macOS resolve names: '.AGORA/x' or '.agora./x' would land in the engine's dir there.
const ENGINE_DIR_ALIAS = /^\.agora[. ]*$/i;

export function isEngineDirName(segment: string): boolean {
  return ENGINE_DIR_ALIAS.test(segment);
}

/** Returns the path NFC-normalized, or throws InvalidNameError saying why it is refused. */
export function validateRelativePath(path: string): string {
  const reason = refusal(path);
  if (reason !== null) {
    throw new InvalidNameError(`Invalid path ${quote(path)}: ${reason}.`, { path, reason });
  }
  return path.normalize('NFC');
}

function refusal(raw: string): string | null {
  if (typeof raw !== 'string') return 'it is not a string';
  if (raw === '') return 'it is empty';
  if (/[\x00-\x1f]/.test(raw)) return 'it contains a control character';
  // A lone surrogate has no UTF-8 form: it would reach the disk as U+FFFD, a different name.
  if (/\p{Cs}/u.test(raw)) return 'it is not valid Unicode';
  if (raw.includes('\\')) return 'it contains a backslash (paths use "/")';
  if (raw.startsWith('/')) return 'it is absolute';
  if (/^[A-Za-z]:/.test(raw)) return 'it starts with a drive letter';

  // Lengths are those of the stored form: NFC can change the byte count.
  const path = raw.normalize('NFC');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) return `it is longer than ${MAX_PATH_BYTES} bytes`;

  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') return 'it has an empty segment';
    if (segment === '.' || segment === '..') return `it has a "${segment}" segment`;
    if (Buffer.byteLength(segment) > MAX_SEGMENT_BYTES) return `a name in it is longer than ${MAX_SEGMENT_BYTES} bytes`;
    if (isTempName(segment)) return 'it is a temporary file of the sync engine';
  }
  if (isEngineDirName(segments[0] ?? '')) return `"${ENGINE_DIR}" at the top of a folder is reserved for the sync engine`;
  return null;
}

const WINDOWS_RESERVED = new Set([
  'CON', 'PRN', 'AUX', 'NUL',
  // Microsoft's list has COM0/LPT0 and the superscript digits too; reporting a name
  // a peer could in fact hold costs less than losing a file silently.
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, '¹', '²', '³'].flatMap((n) => [`COM${n}`, `LPT${n}`]),
]);

/**
 * Why `path` cannot exist on a Windows or macOS peer, or null if it can.
 * Expects a path validateRelativePath accepted; reports the first problem only.
 */
export function windowsProblem(path: string): string | null {
  for (const segment of path.split('/')) {
    const bad = segment.match(/[<>:"|?*]/);
    if (bad) return `"${segment}" contains "${bad[0]}", which Windows does not allow in names`;
    if (/[. ]$/.test(segment)) return `"${segment}" ends with a dot or a space, which Windows drops`;
    // Windows reserves the device name whatever follows the first dot ('con.tar.gz' too).
    const stem = segment.split('.')[0] ?? '';
    if (WINDOWS_RESERVED.has(stem.trimEnd().toUpperCase())) return `"${segment}" is a reserved device name on Windows`;
  }
  return null;
}

/** Equal keys mean names that case-insensitive file systems (Windows, macOS) take for one. */
export function caseFoldKey(path: string): string {
  return path.normalize('NFC').toLowerCase();
}

function quote(path: string): string {
  const shown = path.length > 200 ? `${path.slice(0, 200)}…` : path;
  // JSON quoting shows control characters as escapes instead of printing them.
  return JSON.stringify(shown);
}

import { InvalidNameError } from '../../../errors/index.js';
import { fitBytes } from './temp-names.js';

/**
 * Names of conflict copies, in Syncthing's format so users who know it recognise them
 * and tools written for it (cleanup scripts, file managers' filters) keep working:
 *
 *   dir/name.sync-conflict-YYYYMMDD-HHMMSS-DEVICE7.ext
 *
 * The time is the losing version's mtime in UTC, DEVICE7 the first 7 characters of
 * the id of the device that wrote it, upper-case. The extension stays last so the
 * copy still opens with the right program.
 */

export interface ParsedConflictName {
  /** The path the conflict copy was made from. */
  original: string;
  /** Epoch milliseconds, to the second: the name keeps no more. */
  time: number;
  /** DEVICE7 as written in the name. */
  device: string;
}

const MARKER = '.sync-conflict-';
const DEVICE_CHARS = 7;
const MAX_SEGMENT_BYTES = 255;
// Greedy stem: a conflict copy of a conflict copy parses to the inner copy, the
// one it was made from.
const CONFLICT = /^(.+)\.sync-conflict-(\d{8})-(\d{6})-([A-Z0-9]{7})(\.[^.]*)?$/s;

export function conflictName(path: string, mtimeMs: number, deviceId: string): string {
  const device = deviceId.slice(0, DEVICE_CHARS).toUpperCase();
  if (!/^[A-Z0-9]{7}$/.test(device)) {
    throw new InvalidNameError(`Cannot name a conflict copy of "${path}": device id "${deviceId}" does not start with 7 letters or digits.`);
  }
  const date = new Date(Number.isFinite(mtimeMs) ? Math.floor(mtimeMs) : NaN);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 0 || year > 9999) {
    throw new InvalidNameError(`Cannot name a conflict copy of "${path}": time ${mtimeMs} has no 4-digit year.`);
  }
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ for years 0..9999
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  const tag = `${MARKER}${stamp}-${device}`;

  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  const basename = path.slice(slash + 1);
  let { stem, ext } = splitExtension(basename);

  // The copy must itself be a valid name: shorten the stem, keeping tag and extension.
  // An extension too long to keep is folded into the stem instead.
  const room = MAX_SEGMENT_BYTES - Buffer.byteLength(tag);
  if (Buffer.byteLength(stem + ext) > room) {
    if (room - Buffer.byteLength(ext) < 1) {
      stem = basename;
      ext = '';
    }
    stem = fitBytes(stem, room - Buffer.byteLength(ext));
  }
  return dir + stem + tag + ext;
}

export function parseConflictName(path: string): ParsedConflictName | null {
  const slash = path.lastIndexOf('/');
  const m = CONFLICT.exec(path.slice(slash + 1));
  if (!m) return null;
  const [, stem = '', day = '', clock = '', device = '', ext = ''] = m;
  const time = utc(day, clock);
  if (time === null) return null;
  return { original: path.slice(0, slash + 1) + stem + ext, time, device };
}

export function isConflictName(path: string): boolean {
  return parseConflictName(path) !== null;
}

/**
 * Extension = after the last dot, so 'archive.tar.gz' keeps '.gz' (as Syncthing does).
 * A leading dot marks a hidden file, not an extension: '.bashrc' has none.
 */
function splitExtension(basename: string): { stem: string; ext: string } {
  const dot = basename.lastIndexOf('.');
  if (dot <= 0) return { stem: basename, ext: '' };
  return { stem: basename.slice(0, dot), ext: basename.slice(dot) };
}

// Null for digits that are no real date or time ('20241332'), so such a name is
// treated as a user's own file rather than a conflict copy.
function utc(day: string, clock: string): number | null {
  const [y, mo, d, h, mi, s] = [day.slice(0, 4), day.slice(4, 6), day.slice(6, 8), clock.slice(0, 2), clock.slice(2, 4), clock.slice(4, 6)].map(Number) as [
    number, number, number, number, number, number,
  ];
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  const same =
    date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d &&
    date.getUTCHours() === h && date.getUTCMinutes() === mi && date.getUTCSeconds() === s;
  return same ? date.getTime() : null;
}

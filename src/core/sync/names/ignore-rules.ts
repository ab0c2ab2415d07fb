import ignore, { type Ignore } from 'ignore';
import { isEngineDirName } from './relative-path.js';
import { isTempName } from './temp-names.js';

/**
 * What a shared folder does not sync: the rules of its root `.agoraignore` (gitignore
 * syntax, read by the `ignore` package, the matcher eslint uses) plus a fixed set
 * nobody can switch off.
 *
 * Choices, and why:
 * - Matching is case-sensitive on every platform. `.agoraignore` syncs, so all peers
 *   read the same rules and must reach the same answer for the same path; following
 *   each OS's own case rules would have a Windows peer ignore what a Linux peer sends.
 * - The fixed rules are checked first, so `!.DS_Store` cannot bring junk back.
 * - The root `.agoraignore` itself always syncs, even under a rule like `.*`: the
 *   peers would otherwise disagree on the rules.
 * - Nested `.agoraignore` files are ordinary files: they sync, but their rules do not
 *   apply. One file at the root is easier to reason about, and `dir/pattern` lines
 *   there reach any depth.
 */

export const IGNORE_FILE = '.agoraignore';

/**
 * Files the OS or an editor leaves beside the user's files. Syncing them makes
 * conflicts without value (every Mac rewrites .DS_Store) and lock files would make
 * other peers' Office believe the document is open. Windows and macOS write these
 * names in varying case, hence the `i`.
 */
const JUNK = [
  /^\.DS_Store$/i,
  /^Thumbs\.db$/i,
  /^desktop\.ini$/i,
  /^~\$/, // Microsoft Office lock file: '~$report.docx'
  /^\.~lock\..*#$/s, // LibreOffice lock file: '.~lock.report.odt#'
];

export function isJunkName(segment: string): boolean {
  return JUNK.some((re) => re.test(segment));
}

export class IgnoreRules {
  /** null: the file has no rules. The matcher caches an answer per path asked (~100 bytes each), so it is not asked in vain. */
  private constructor(private readonly matcher: Ignore | null) {}

  /** Rules from the text of a root `.agoraignore`; '' for a folder without one. */
  static parse(text: string): IgnoreRules {
    // A blank line (spaces only, as trailing spaces do not count) or a comment is no rule.
    const hasRules = text.split(/\r?\n/).some((line) => line.trim() !== '' && !line.startsWith('#'));
    // Paths are compared in NFC; a pattern typed on a Mac may arrive in NFD.
    return new IgnoreRules(hasRules ? ignore({ ignorecase: false }).add(text.normalize('NFC')) : null);
  }

  /** Whether `path` (folder-relative, validated) is left out of sync. */
  ignores(path: string, isDir: boolean): boolean {
    const p = path.normalize('NFC');
    if (p === IGNORE_FILE && !isDir) return false;
    const segments = p.split('/');
    if (isEngineDirName(segments[0] ?? '')) return true;
    // Every segment, not only the last: a caller may ask about 'a/Thumbs.db/x' without
    // having walked through 'a/Thumbs.db' first.
    if (segments.some((s) => isTempName(s) || isJunkName(s))) return true;
    // A trailing '/' is how `ignore` knows a directory, for patterns like 'build/'.
    return this.matcher !== null && this.matcher.ignores(isDir ? `${p}/` : p);
  }
}

import type { FolderFs } from '../../ports/fs.js';

/** Replaced and deleted files are kept under this folder-relative directory. */
export const VERSIONS_DIR = '.agora/versions';

/** `2026-11-22T10:11:12.345Z` → `20261122-101112-345`: sortable, valid on every file system. */
export function versionStamp(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}-${iso.slice(20, 23)}`;
}

/** Where the version of `path` archived at `ms` goes: `.agora/versions/<dir>/<name>~<stamp>`. */
export function versionPath(path: string, ms: number): string {
  return `${VERSIONS_DIR}/${path}~${versionStamp(ms)}`;
}

/** Parses a name under VERSIONS_DIR back into the original path and its version id. */
export function parseVersionPath(rel: string): { path: string; versionId: string } | null {
  if (!rel.startsWith(VERSIONS_DIR + '/')) return null;
  const m = /^(.*)~(\d{8}-\d{6}-\d{3})$/.exec(rel.slice(VERSIONS_DIR.length + 1));
  return m ? { path: m[1]!, versionId: m[2]! } : null;
}

/**
 * Keeps the current content of `path` as a version before it is replaced or deleted: a hard
 * link where the file system has them (the replace that follows is then one atomic rename),
 * else a rename (a crash in between leaves the file in versions, not lost).
 */
export async function archiveVersion(fs: FolderFs, path: string, ms: number, mode: 'keep' | 'move'): Promise<string> {
  // Two versions of one path archived in the same millisecond must not overwrite each other:
  // take the next free millisecond (the name stays sortable and parseable).
  let at = ms;
  let target = versionPath(path, at);
  while (await fs.lstat(target)) target = versionPath(path, ++at);
  const dir = target.slice(0, target.lastIndexOf('/'));
  await fs.mkdir(dir);
  if (mode === 'keep') {
    try {
      await fs.link(path, target);
      return target;
    } catch {
      // no hard links here (FAT, some network shares): fall through to a move
      if (await fs.lstat(target)) return archiveVersion(fs, path, at + 1, mode);
    }
  }
  await fs.rename(path, target);
  return target;
}

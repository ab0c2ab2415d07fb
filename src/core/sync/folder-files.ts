import { FsError, NotFoundError } from '../../errors/index.js';
import type { FolderFs } from '../../ports/fs.js';
import { parseConflictName, tempNameFor, validateRelativePath } from './names/index.js';
import { archiveVersion, parseVersionPath, VERSIONS_DIR } from './versions.js';

export interface FileVersion {
  /** `YYYYMMDD-HHMMSS-mmm` (UTC): when this content was replaced or deleted here. */
  versionId: string;
  size: number;
  mtimeMs: number;
}

export interface ConflictCopy {
  path: string;
  original: string;
  /** When the losing version was last modified (ms since epoch). */
  time: number;
  /** Short id of the device that made the losing version. */
  device: string;
}

/** Versions of `path` kept under .agora/versions, newest first. */
export async function listVersions(fs: FolderFs, path: string): Promise<FileVersion[]> {
  const clean = validateRelativePath(path);
  const slash = clean.lastIndexOf('/');
  const dir = slash < 0 ? VERSIONS_DIR : `${VERSIONS_DIR}/${clean.slice(0, slash)}`;
  const dirStat = await fs.lstat(dir);
  if (dirStat?.type !== 'dir') return [];
  const out: FileVersion[] = [];
  for (const e of await fs.readdir(dir)) {
    const parsed = parseVersionPath(`${dir}/${e.name}`);
    if (!parsed || parsed.path !== clean || e.type !== 'file') continue;
    const st = await fs.lstat(`${dir}/${e.name}`);
    if (st) out.push({ versionId: parsed.versionId, size: st.size, mtimeMs: st.mtimeMs });
  }
  return out.sort((a, b) => (a.versionId < b.versionId ? 1 : -1));
}

/**
 * Puts an old version back at `path`: the current file (if any) is kept as a version first,
 * the old content is copied to a temp file, fsynced and renamed into place. The scanner
 * then sees it as a local change and it syncs like any edit.
 */
export async function restoreVersion(fs: FolderFs, path: string, versionId: string, now: number): Promise<void> {
  const clean = validateRelativePath(path);
  const source = `${VERSIONS_DIR}/${clean}~${versionId}`;
  if (!/^\d{8}-\d{6}-\d{3}$/.test(versionId) || (await fs.lstat(source))?.type !== 'file') {
    throw new NotFoundError(`No version ${versionId} of ${clean}. See the versions with: agora versions FOLDER ${clean}`);
  }
  const temp = tempNameFor(clean, `restore:${versionId}`);
  const slash = clean.lastIndexOf('/');
  if (slash > 0) await fs.mkdir(clean.slice(0, slash));
  const input = await fs.openRead(source);
  const output = await fs.openWrite(temp);
  try {
    await output.truncate(0);
    const buf = Buffer.allocUnsafe(1024 * 1024);
    for (let pos = 0; ; ) {
      const n = await input.read(buf, 0, buf.length, pos);
      if (n === 0) break;
      await output.write(buf.subarray(0, n), pos);
      pos += n;
    }
    await output.sync();
  } finally {
    await input.close();
    await output.close();
  }
  const current = await fs.lstat(clean);
  if (current?.type === 'dir') throw new FsError('FS', `${clean} is now a directory; move it away to restore the file.`);
  if (current) await archiveVersion(fs, clean, now, 'keep');
  await fs.rename(temp, clean);
}

export function conflictCopy(path: string): ConflictCopy | null {
  const parsed = parseConflictName(path);
  return parsed ? { path, original: parsed.original, time: parsed.time, device: parsed.device } : null;
}

import type { FolderFs } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import { parseVersionPath, VERSIONS_DIR } from './versions.js';

/** Default time replaced and deleted files are kept under .agora/versions. */
export const DEFAULT_VERSION_RETENTION_MS = 30 * 24 * 3600_000;
/** A temp file untouched this long belongs to no transfer any more (a resumed one rewrites it). */
export const STALE_TEMP_MS = 24 * 3600_000;

/** `20261122-101112-345` → ms since epoch (UTC). */
export function stampTime(versionId: string): number {
  const m = /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})-(\d{3})$/.exec(versionId);
  if (!m) return NaN;
  const [, y, mo, d, h, mi, s, ms] = m.map(Number) as number[];
  return Date.UTC(y!, mo! - 1, d!, h!, mi!, s!, ms!);
}

/**
 * Deletes versions older than `retentionMs` and temp files nobody has written for a day.
 * Runs after full scans; errors only get logged (housekeeping never stops syncing).
 */
export async function housekeeping(
  fs: FolderFs,
  options: { now: number; retentionMs: number; tempFiles: readonly string[]; inUse: (path: string) => boolean; logger: Logger },
): Promise<{ versionsRemoved: number; tempsRemoved: number }> {
  let versionsRemoved = 0;
  let tempsRemoved = 0;
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(dir);
    } catch {
      return;
    }
    for (const e of entries) {
      const rel = `${dir}/${e.name}`;
      if (e.type === 'dir') {
        await walk(rel);
        continue;
      }
      const parsed = parseVersionPath(rel);
      if (!parsed) continue;
      if (options.now - stampTime(parsed.versionId) > options.retentionMs) {
        await fs.unlink(rel).catch((err: Error) => options.logger.warn({ path: rel, err: err.message }, 'could not prune an old version'));
        versionsRemoved++;
      }
    }
  };
  if ((await fs.lstat(VERSIONS_DIR))?.type === 'dir') await walk(VERSIONS_DIR);
  for (const temp of options.tempFiles) {
    if (options.inUse(temp)) continue;
    const st = await fs.lstat(temp).catch(() => null);
    if (st && options.now - st.mtimeMs > STALE_TEMP_MS) {
      await fs.unlink(temp).catch(() => undefined);
      tempsRemoved++;
    }
  }
  return { versionsRemoved, tempsRemoved };
}

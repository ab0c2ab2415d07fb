import type { FileHistoryItem, FileHistoryRepo, FileHistoryRow } from '../../ports/store.js';
import type { Journal } from './journal.js';

/**
 * The file history of the memory store, mirroring the SQLite adapter's (store-sqlite/file-history.ts):
 * same dedupe, same newest-first order and paging, same prune; every write goes through the journal.
 */

interface FolderHistory {
  /** Oldest first (ascending seq). */
  rows: FileHistoryRow[];
  /** `path \0 version` of every row. */
  keys: Set<string>;
}

export function createMemoryFileHistory(journal: Journal): { fileHistory: FileHistoryRepo; deleteFolder(folderId: string): void } {
  const folders = new Map<string, FolderHistory>();
  /** Like AUTOINCREMENT: never handed out twice, not even after a prune. */
  let lastSeq = 0;

  const keyOf = (path: string, version: string) => `${path}\0${version}`;

  function historyOf(folderId: string): FolderHistory {
    let h = folders.get(folderId);
    if (!h) journal.set(folders, folderId, (h = { rows: [], keys: new Set() }));
    return h;
  }

  const fileHistory: FileHistoryRepo = {
    append: (folderId, items) =>
      journal.run(() => {
        if (items.length === 0) return 0;
        const h = historyOf(folderId);
        let added = 0;
        for (const item of items) {
          const key = keyOf(item.path, item.version);
          if (h.keys.has(key)) continue;
          h.rows.push({ ...copyItem(item), seq: ++lastSeq });
          h.keys.add(key);
          journal.record(() => {
            h.rows.pop();
            h.keys.delete(key);
          });
          added++;
        }
        return added;
      }),
    has: (folderId, path, version) => folders.get(folderId)?.keys.has(keyOf(path, version)) ?? false,
    list: (folderId, { limit, before }) => {
      const n = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : limit === Infinity ? Infinity : 0;
      const out: FileHistoryRow[] = [];
      const rows = folders.get(folderId)?.rows ?? [];
      for (let i = rows.length - 1; i >= 0 && out.length < n; i--) {
        const r = rows[i]!;
        if (before === undefined || r.seq < before) out.push({ ...r });
      }
      return out;
    },
    count: (folderId) => folders.get(folderId)?.rows.length ?? 0,
    prune: (folderId, keep) => {
      const h = folders.get(folderId);
      const k = Number.isFinite(keep) ? Math.max(0, Math.floor(keep)) : keep === Infinity ? Infinity : 0;
      if (!h || h.rows.length <= k) return 0;
      const gone = h.rows.splice(0, h.rows.length - k);
      for (const r of gone) h.keys.delete(keyOf(r.path, r.version));
      journal.record(() => {
        h.rows = gone.concat(h.rows); // not unshift(...gone): a prune can take more rows than a call has arguments
        for (const r of gone) h.keys.add(keyOf(r.path, r.version));
      });
      return gone.length;
    },
  };

  return { fileHistory, deleteFolder: (folderId) => journal.delete(folders, folderId) };
}

// Field by field, not spread: like a table row, a stored record keeps only the port's fields.
function copyItem(i: FileHistoryItem): FileHistoryItem {
  return {
    path: i.path,
    type: i.type,
    deleted: i.deleted,
    size: i.size,
    mtimeMs: i.mtimeMs,
    modifiedBy: i.modifiedBy,
    version: i.version,
    signed: i.signed,
    recordedAt: i.recordedAt,
  };
}

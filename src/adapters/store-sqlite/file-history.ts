import type Database from 'better-sqlite3';
import type { FileHistoryItem, FileHistoryRepo, FileHistoryRow } from '../../ports/store.js';
import type { FileType } from '../../protocol/index.js';

/** The file_history table (migration 6). */

interface HistoryRow {
  seq: number;
  path: string;
  version: string;
  type: FileType;
  deleted: number;
  size: number;
  mtime_ms: number;
  modified_by: string;
  signed: number;
  recorded_at: number;
}

function fromRow(r: HistoryRow): FileHistoryRow {
  return {
    seq: r.seq,
    path: r.path,
    type: r.type,
    deleted: r.deleted !== 0,
    size: r.size,
    mtimeMs: r.mtime_ms,
    modifiedBy: r.modified_by,
    version: r.version,
    signed: r.signed !== 0,
    recordedAt: r.recorded_at,
  };
}

const COLUMNS = 'seq, path, version, type, deleted, size, mtime_ms, modified_by, signed, recorded_at';

/** `deleteFolder` is for the store's folder cascade (index.ts), not part of the port. */
export function createFileHistoryRepo(db: Database.Database): FileHistoryRepo & { deleteFolder(folderId: string): void } {
  // The unique key (folder_id, path, version) makes a version announced by several peers one row.
  const insert = db.prepare<[string, string, string, string, number, number, number, string, number, number]>(
    `INSERT INTO file_history (folder_id, path, version, type, deleted, size, mtime_ms, modified_by, signed, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (folder_id, path, version) DO NOTHING`,
  );
  const has = db.prepare<[string, string, string], number>('SELECT 1 FROM file_history WHERE folder_id = ? AND path = ? AND version = ?').pluck();
  const newest = db.prepare<[string, number], HistoryRow>(`SELECT ${COLUMNS} FROM file_history WHERE folder_id = ? ORDER BY seq DESC LIMIT ?`);
  const newestBefore = db.prepare<[string, number, number], HistoryRow>(
    `SELECT ${COLUMNS} FROM file_history WHERE folder_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  );
  const count = db.prepare<[string], number>('SELECT COUNT(*) FROM file_history WHERE folder_id = ?').pluck();
  // The keep-th newest row's seq; everything of the folder below it goes. No such row: nothing goes.
  const prune = db.prepare<[string, string, number]>(
    `DELETE FROM file_history WHERE folder_id = ? AND seq < (
       SELECT seq FROM file_history WHERE folder_id = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
  );
  const deleteFolder = db.prepare<[string]>('DELETE FROM file_history WHERE folder_id = ?');

  const append = db.transaction((folderId: string, items: readonly FileHistoryItem[]): number => {
    let added = 0;
    for (const i of items) {
      added += insert.run(folderId, i.path, i.version, i.type, i.deleted ? 1 : 0, i.size, i.mtimeMs, i.modifiedBy, i.signed ? 1 : 0, i.recordedAt).changes;
    }
    return added;
  });

  return {
    append: (folderId, items) => (items.length === 0 ? 0 : append(folderId, items)),
    has: (folderId, path, version) => has.get(folderId, path, version) !== undefined,
    list: (folderId, { limit, before }) => {
      const n = clampLimit(limit);
      if (n === 0) return [];
      return (before === undefined ? newest.all(folderId, n) : newestBefore.all(folderId, before, n)).map(fromRow);
    },
    count: (folderId) => count.get(folderId) ?? 0,
    prune: (folderId, keep) => {
      const k = clampLimit(keep);
      return (k === 0 ? deleteFolder.run(folderId) : prune.run(folderId, folderId, k - 1)).changes;
    },
    deleteFolder: (folderId) => void deleteFolder.run(folderId),
  };
}

/** A count as SQLite's LIMIT takes it: a whole number from 0 (Infinity: no limit). */
function clampLimit(n: number): number {
  if (n === Infinity) return -1 >>> 1;
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

import type Database from 'better-sqlite3';
import type { FileHistoryItem, FileHistoryRepo, FileHistoryRow } from '../../ports/store.js';
import type { FileType } from '../../protocol/index.js';
import { compactVersion, expandVersion, type TextIds } from './text-ids.js';

/** The file_history table (migration 6; ids as integers of text_ids since migration 8). */

interface HistoryRow {
  seq: number;
  path: string;
  version: string;
  type: FileType;
  deleted: number;
  size: number;
  mtime_ms: number;
  author: number;
  signed: number;
  recorded_at: number;
}

function fromRow(r: HistoryRow, ids: TextIds): FileHistoryRow {
  return {
    seq: r.seq,
    path: r.path,
    type: r.type,
    deleted: r.deleted !== 0,
    size: r.size,
    mtimeMs: r.mtime_ms,
    modifiedBy: ids.textOf(r.author),
    version: expandVersion(r.version, ids.textOf),
    signed: r.signed !== 0,
    recordedAt: r.recorded_at,
  };
}

const COLUMNS = 'seq, path, version, type, deleted, size, mtime_ms, author, signed, recorded_at';

/** `deleteFolder` is for the store's folder cascade (index.ts), not part of the port. */
export function createFileHistoryRepo(db: Database.Database, ids: TextIds): FileHistoryRepo & { deleteFolder(folderId: string): void } {
  // The unique key (folder, path, version) makes a version announced by several peers one row.
  const insert = db.prepare<[number, string, string, string, number, number, number, number, number, number]>(
    `INSERT INTO file_history (folder, path, version, type, deleted, size, mtime_ms, author, signed, recorded_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (folder, path, version) DO NOTHING`,
  );
  const has = db.prepare<[number, string, string], number>('SELECT 1 FROM file_history WHERE folder = ? AND path = ? AND version = ?').pluck();
  const newest = db.prepare<[number, number], HistoryRow>(`SELECT ${COLUMNS} FROM file_history WHERE folder = ? ORDER BY seq DESC LIMIT ?`);
  const newestBefore = db.prepare<[number, number, number], HistoryRow>(
    `SELECT ${COLUMNS} FROM file_history WHERE folder = ? AND seq < ? ORDER BY seq DESC LIMIT ?`,
  );
  const count = db.prepare<[number], number>('SELECT COUNT(*) FROM file_history WHERE folder = ?').pluck();
  // The keep-th newest row's seq; everything of the folder below it goes. No such row: nothing goes.
  const prune = db.prepare<[number, number, number]>(
    `DELETE FROM file_history WHERE folder = ? AND seq < (
       SELECT seq FROM file_history WHERE folder = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`,
  );
  const deleteFolder = db.prepare<[number]>('DELETE FROM file_history WHERE folder = ?');

  const append = db.transaction((folderId: string, items: readonly FileHistoryItem[]): number => {
    const folder = ids.idOf(folderId);
    let added = 0;
    for (const i of items) {
      const version = compactVersion(i.version, ids.idOf)!;
      added += insert.run(folder, i.path, version, i.type, i.deleted ? 1 : 0, i.size, i.mtimeMs, ids.idOf(i.modifiedBy), i.signed ? 1 : 0, i.recordedAt).changes;
    }
    return added;
  });

  // Reads: a folder or device with no id has no row.
  return {
    append: (folderId, items) => {
      if (items.length === 0) return 0;
      try {
        return append(folderId, items);
      } catch (err) {
        ids.forget(); // rolled back: ids it added are gone
        throw err;
      }
    },
    has: (folderId, path, version) => {
      const folder = ids.findId(folderId);
      const compact = compactVersion(version, ids.findId);
      return folder !== undefined && compact !== undefined && has.get(folder, path, compact) !== undefined;
    },
    list: (folderId, { limit, before }) => {
      const n = clampLimit(limit);
      const folder = ids.findId(folderId);
      if (n === 0 || folder === undefined) return [];
      return (before === undefined ? newest.all(folder, n) : newestBefore.all(folder, before, n)).map((r) => fromRow(r, ids));
    },
    count: (folderId) => {
      const folder = ids.findId(folderId);
      return folder === undefined ? 0 : (count.get(folder) ?? 0);
    },
    prune: (folderId, keep) => {
      const folder = ids.findId(folderId);
      if (folder === undefined) return 0;
      const k = clampLimit(keep);
      return (k === 0 ? deleteFolder.run(folder) : prune.run(folder, folder, k - 1)).changes;
    },
    deleteFolder: (folderId) => {
      const folder = ids.findId(folderId);
      if (folder !== undefined) deleteFolder.run(folder);
    },
  };
}

/** A count as SQLite's LIMIT takes it: a whole number from 0 (Infinity: no limit). */
function clampLimit(n: number): number {
  if (n === Infinity) return -1 >>> 1;
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : 0;
}

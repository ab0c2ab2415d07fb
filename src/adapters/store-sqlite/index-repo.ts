import type Database from 'better-sqlite3';
import type { BlockLocation, IndexCounts, IndexRepo, RemoteIndexState } from '../../ports/store.js';
import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import {
  fileColumns,
  fileSets,
  fileUpdates,
  fileValues,
  fromFileRow,
  fromLocalRow,
  type FileRow,
  type FileValues,
  type LocalFileRow,
} from './file-rows.js';

interface BlockRow {
  hash: Buffer;
  path: string;
  offset: number;
  size: number;
}

export interface SqliteIndexRepo extends IndexRepo {
  /** Forgets every index record of a folder (when the folder itself is deleted). */
  deleteFolder(folderId: string): void;
}

const localColumns = `path, ${fileColumns}, inode, stat_mtime_ms`;
/** The announced part of a record: what localSince and recordsForPath return, and all a peer's row holds. */
const recordColumns = `path, ${fileColumns}`;

export function createIndexRepo(db: Database.Database): SqliteIndexRepo {
  // Look up, then insert or update, rather than one upsert: the file_id is needed for the blocks,
  // `RETURNING` made the upsert half again as slow, and a new file has no old blocks to clear.
  const localId = db.prepare<[string, string], number>('SELECT file_id FROM local_files WHERE folder_id = ? AND path = ?').pluck();
  const insertLocal = db.prepare<[string, string, ...FileValues, number, number]>(
    `INSERT INTO local_files (folder_id, ${localColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateLocal = db.prepare<[...FileValues, number, number, number]>(
    `UPDATE local_files SET ${fileSets}, inode = ?, stat_mtime_ms = ? WHERE file_id = ?`,
  );
  const clearBlocks = db.prepare<[number]>('DELETE FROM blocks WHERE file_id = ?');
  const addBlock = db.prepare<[number, number, number, Buffer]>('INSERT INTO blocks (file_id, offset, size, hash) VALUES (?, ?, ?, ?)');
  const getLocal = db.prepare<[string, string], LocalFileRow>(`SELECT ${localColumns} FROM local_files WHERE folder_id = ? AND path = ?`);
  const listLocal = db.prepare<[string], LocalFileRow>(`SELECT ${localColumns} FROM local_files WHERE folder_id = ? ORDER BY path`);
  const pageLocal = db.prepare<[string, string, number], LocalFileRow>(
    `SELECT ${localColumns} FROM local_files WHERE folder_id = ? AND path > ? ORDER BY path LIMIT ?`,
  );
  const localSince = db.prepare<[string, number, number], FileRow>(
    `SELECT ${recordColumns} FROM local_files WHERE folder_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const localSequence = db.prepare<[string], number>('SELECT coalesce(max(seq), 0) FROM local_files WHERE folder_id = ?').pluck();
  const localCounts = db.prepare<[string], IndexCounts>(
    `SELECT coalesce(sum(type = 'file' AND NOT deleted), 0) AS files,
            coalesce(sum(type = 'dir' AND NOT deleted), 0) AS dirs,
            coalesce(sum(deleted), 0) AS deleted,
            coalesce(sum(CASE WHEN type = 'file' AND NOT deleted THEN size END), 0) AS bytes
     FROM local_files WHERE folder_id = ?`,
  );

  const upsertRemote = db.prepare<[string, string, string, ...FileValues]>(
    `INSERT INTO remote_files (folder_id, device_id, ${recordColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (folder_id, device_id, path) DO UPDATE SET ${fileUpdates}`,
  );
  // Same index id: keep the highest sequence seen. A new index id is a fresh index, so its own
  // records set the mark, even below the old one.
  const upsertState = db.prepare<[string, string, string, number]>(
    `INSERT INTO remote_index (folder_id, device_id, index_id, max_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (folder_id, device_id) DO UPDATE SET
       max_seq = CASE WHEN index_id = excluded.index_id THEN max(max_seq, excluded.max_seq) ELSE excluded.max_seq END,
       index_id = excluded.index_id`,
  );
  const getRemote = db.prepare<[string, string, string], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder_id = ? AND device_id = ? AND path = ?`,
  );
  const remoteSig = db.prepare<[string, string, string], Buffer>('SELECT sig FROM remote_files WHERE folder_id = ? AND device_id = ? AND path = ?').pluck();
  const listRemote = db.prepare<[string, string], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder_id = ? AND device_id = ? ORDER BY path`,
  );
  const pageRemote = db.prepare<[string, string, string, number], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder_id = ? AND device_id = ? AND path > ? ORDER BY path LIMIT ?`,
  );
  const remoteState = db.prepare<[string, string], { indexId: string; maxSequence: number }>(
    'SELECT index_id AS indexId, max_seq AS maxSequence FROM remote_index WHERE folder_id = ? AND device_id = ?',
  );
  const remoteDevices = db
    .prepare<[string], string>('SELECT device_id FROM remote_index WHERE folder_id = ? ORDER BY device_id')
    .pluck();
  const dropRemoteFiles = db.prepare<[string, string]>('DELETE FROM remote_files WHERE folder_id = ? AND device_id = ?');
  const dropRemoteState = db.prepare<[string, string]>('DELETE FROM remote_index WHERE folder_id = ? AND device_id = ?');

  // Every device holding records has a remote_index row (putRemote writes both, dropRemote removes
  // both), so the IN list turns into one primary-key lookup per device: no (folder, path) index to
  // maintain on every write.
  const recordsForPath = db.prepare<[{ folder: string; path: string; self: string }], FileRow & { device_id: string }>(
    `SELECT @self AS device_id, ${recordColumns} FROM local_files WHERE folder_id = @folder AND path = @path
     UNION ALL
     SELECT device_id, ${recordColumns} FROM remote_files
     WHERE folder_id = @folder AND path = @path
       AND device_id IN (SELECT device_id FROM remote_index WHERE folder_id = @folder)
     ORDER BY device_id`,
  );

  // The first place in path order, so that both adapters answer the same when a block repeats.
  // CROSS JOIN keeps blocks_hash as the outer loop: left to itself, the planner may walk the whole
  // folder in path order to skip the sort.
  const findBlock = db.prepare<[Buffer, string], BlockRow>(
    `SELECT b.hash, f.path, b.offset, b.size FROM blocks b CROSS JOIN local_files f ON f.file_id = b.file_id
     WHERE b.hash = ? AND f.folder_id = ? ORDER BY f.path, b.offset LIMIT 1`,
  );
  // One statement for any number of hashes: they come in as a JSON array of hex strings.
  const findBlocks = db.prepare<[string, string], BlockRow>(
    `SELECT hash, path, offset, size FROM (
       SELECT b.hash, f.path, b.offset, b.size,
              row_number() OVER (PARTITION BY b.hash ORDER BY f.path, b.offset) AS n
       FROM blocks b CROSS JOIN local_files f ON f.file_id = b.file_id
       WHERE b.hash IN (SELECT unhex(value) FROM json_each(?)) AND f.folder_id = ?
     ) WHERE n = 1`,
  );

  const deleteFolder = [
    db.prepare<[string]>('DELETE FROM blocks WHERE file_id IN (SELECT file_id FROM local_files WHERE folder_id = ?)'),
    db.prepare<[string]>('DELETE FROM local_files WHERE folder_id = ?'),
    db.prepare<[string]>('DELETE FROM remote_files WHERE folder_id = ?'),
    db.prepare<[string]>('DELETE FROM remote_index WHERE folder_id = ?'),
  ];

  const putLocal = db.transaction((folderId: string, records: readonly LocalFileRecord[]) => {
    for (const r of records) {
      const values = fileValues(r);
      let fileId = localId.get(folderId, r.path);
      if (fileId === undefined) {
        fileId = Number(insertLocal.run(folderId, r.path, ...values, r.local.inode, r.local.statMtimeMs).lastInsertRowid);
      } else {
        updateLocal.run(...values, r.local.inode, r.local.statMtimeMs, fileId);
        clearBlocks.run(fileId);
      }
      // Only live files have content to copy from; an empty block has nothing to read.
      if (r.deleted || r.type !== 'file') continue;
      let offset = 0;
      for (const b of r.blocks) {
        if (b.size > 0) addBlock.run(fileId, offset, b.size, b.hash);
        offset += b.size;
      }
    }
  });

  const putRemote = db.transaction((folderId: string, deviceId: string, indexId: string, records: readonly FileRecord[]) => {
    let max = 0;
    for (const r of records) {
      upsertRemote.run(folderId, deviceId, r.path, ...fileValues(r));
      max = Math.max(max, r.sequence);
    }
    upsertState.run(folderId, deviceId, indexId, max);
  });

  const dropRemote = db.transaction((folderId: string, deviceId: string) => {
    dropRemoteFiles.run(folderId, deviceId);
    dropRemoteState.run(folderId, deviceId);
  });

  const location = (r: BlockRow): BlockLocation => ({ path: r.path, offset: r.offset, size: r.size });

  return {
    putLocal: (folderId, records) => putLocal(folderId, records),
    getLocal: (folderId, path) => {
      const row = getLocal.get(folderId, path);
      return row && fromLocalRow(row);
    },
    listLocal: (folderId, page) =>
      (page ? pageLocal.all(folderId, page.after, rowLimit(page.limit)) : listLocal.all(folderId)).map(fromLocalRow),
    localSince: (folderId, after, limit) => localSince.all(folderId, after, rowLimit(limit)).map(fromFileRow),
    localSequence: (folderId) => localSequence.get(folderId) ?? 0,

    putRemote: (folderId, deviceId, indexId, records) => putRemote(folderId, deviceId, indexId, records),
    getRemote: (folderId, deviceId, path) => {
      const row = getRemote.get(folderId, deviceId, path);
      return row && fromFileRow(row);
    },
    remoteSigs: (folderId, deviceId, paths) => {
      const out = new Map<string, Buffer>();
      for (const path of paths) {
        const sig = remoteSig.get(folderId, deviceId, path);
        if (sig) out.set(path, sig);
      }
      return out;
    },
    listRemote: (folderId, deviceId, page) =>
      (page ? pageRemote.all(folderId, deviceId, page.after, rowLimit(page.limit)) : listRemote.all(folderId, deviceId)).map(fromFileRow),
    remoteState: (folderId, deviceId): RemoteIndexState | undefined => remoteState.get(folderId, deviceId),
    remoteDevices: (folderId) => remoteDevices.all(folderId),
    dropRemote: (folderId, deviceId) => dropRemote(folderId, deviceId),

    recordsForPath: (folderId, path, selfId) =>
      recordsForPath.all({ folder: folderId, path, self: selfId }).map((r) => ({ deviceId: r.device_id, record: fromFileRow(r) })),
    findBlock: (folderId, hash) => {
      const row = findBlock.get(hash, folderId);
      return row && location(row);
    },
    findBlocks: (folderId, hashes) => {
      const found = new Map<string, BlockLocation>();
      if (hashes.length === 0) return found;
      const hex = JSON.stringify(hashes.map((h) => h.toString('hex')));
      for (const row of findBlocks.iterate(hex, folderId)) found.set(row.hash.toString('hex'), location(row));
      return found;
    },
    localCounts: (folderId) => {
      const c = localCounts.get(folderId);
      return { files: c?.files ?? 0, dirs: c?.dirs ?? 0, deleted: c?.deleted ?? 0, bytes: c?.bytes ?? 0 };
    },

    deleteFolder: (folderId) => {
      for (const stmt of deleteFolder) stmt.run(folderId);
    },
  };
}

/** SQLite reads a negative LIMIT as "no limit" and refuses a fractional one; the port means "at most". */
function rowLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
}

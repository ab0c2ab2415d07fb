import type Database from 'better-sqlite3';
import type { BlockLocation, IndexCounts, IndexRepo, RemoteIndexState } from '../../ports/store.js';
import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import { createRowCodec, fileColumns, fileSets, fileUpdates, type FileRow, type FileValues, type LocalFileRow } from './file-rows.js';
import type { TextIds } from './text-ids.js';

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
/** recordColumns of remote_files as `f`, where a join would make them ambiguous. */
const remoteRecordColumns = recordColumns
  .split(', ')
  .map((c) => `f.${c}`)
  .join(', ');

/**
 * Folders and devices are numbers of text_ids (migration 9). A folder or device that has none has
 * no rows, so reads answer empty without adding one; writes add it in their own transaction, and
 * forget the cache if that transaction fails (an id rolled back is given out again).
 */
export function createIndexRepo(db: Database.Database, ids: TextIds): SqliteIndexRepo {
  const codec = createRowCodec(ids);
  // Look up, then insert or update, rather than one upsert: the file_id is needed for the blocks,
  // `RETURNING` made the upsert half again as slow, and a new file has no old blocks to clear.
  const localId = db.prepare<[number, string], number>('SELECT file_id FROM local_files WHERE folder = ? AND path = ?').pluck();
  const insertLocal = db.prepare<[number, string, ...FileValues, number, number]>(
    `INSERT INTO local_files (folder, ${localColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const updateLocal = db.prepare<[...FileValues, number, number, number]>(
    `UPDATE local_files SET ${fileSets}, inode = ?, stat_mtime_ms = ? WHERE file_id = ?`,
  );
  const clearBlocks = db.prepare<[number]>('DELETE FROM blocks WHERE file_id = ?');
  const addBlock = db.prepare<[number, number, number, Buffer]>('INSERT INTO blocks (file_id, offset, size, hash) VALUES (?, ?, ?, ?)');
  const getLocal = db.prepare<[number, string], LocalFileRow>(`SELECT ${localColumns} FROM local_files WHERE folder = ? AND path = ?`);
  const listLocal = db.prepare<[number], LocalFileRow>(`SELECT ${localColumns} FROM local_files WHERE folder = ? ORDER BY path`);
  const pageLocal = db.prepare<[number, string, number], LocalFileRow>(
    `SELECT ${localColumns} FROM local_files WHERE folder = ? AND path > ? ORDER BY path LIMIT ?`,
  );
  const localSince = db.prepare<[number, number, number], FileRow>(
    `SELECT ${recordColumns} FROM local_files WHERE folder = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const localSequence = db.prepare<[number], number>('SELECT coalesce(max(seq), 0) FROM local_files WHERE folder = ?').pluck();
  const localCounts = db.prepare<[number], IndexCounts>(
    `SELECT coalesce(sum(type = 'file' AND NOT deleted), 0) AS files,
            coalesce(sum(type = 'dir' AND NOT deleted), 0) AS dirs,
            coalesce(sum(deleted), 0) AS deleted,
            coalesce(sum(CASE WHEN type = 'file' AND NOT deleted THEN size END), 0) AS bytes
     FROM local_files WHERE folder = ?`,
  );

  const upsertRemote = db.prepare<[number, number, string, ...FileValues]>(
    `INSERT INTO remote_files (folder, device, ${recordColumns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (folder, device, path) DO UPDATE SET ${fileUpdates}`,
  );
  // Same index id: keep the highest sequence seen. A new index id is a fresh index, so its own
  // records set the mark, even below the old one.
  const upsertState = db.prepare<[number, number, string, number]>(
    `INSERT INTO remote_index (folder, device, index_id, max_seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (folder, device) DO UPDATE SET
       max_seq = CASE WHEN index_id = excluded.index_id THEN max(max_seq, excluded.max_seq) ELSE excluded.max_seq END,
       index_id = excluded.index_id`,
  );
  const getRemote = db.prepare<[number, number, string], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder = ? AND device = ? AND path = ?`,
  );
  const remoteSig = db.prepare<[number, number, string], Buffer>('SELECT sig FROM remote_files WHERE folder = ? AND device = ? AND path = ?').pluck();
  const listRemote = db.prepare<[number, number], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder = ? AND device = ? ORDER BY path`,
  );
  const pageRemote = db.prepare<[number, number, string, number], FileRow>(
    `SELECT ${recordColumns} FROM remote_files WHERE folder = ? AND device = ? AND path > ? ORDER BY path LIMIT ?`,
  );
  const remoteState = db.prepare<[number, number], { indexId: string; maxSequence: number }>(
    'SELECT index_id AS indexId, max_seq AS maxSequence FROM remote_index WHERE folder = ? AND device = ?',
  );
  const remoteDevices = db
    .prepare<[number], string>('SELECT t.text FROM remote_index r JOIN text_ids t ON t.id = r.device WHERE r.folder = ? ORDER BY t.text')
    .pluck();
  const dropRemoteFiles = db.prepare<[number, number]>('DELETE FROM remote_files WHERE folder = ? AND device = ?');
  const dropRemoteState = db.prepare<[number, number]>('DELETE FROM remote_index WHERE folder = ? AND device = ?');

  // Every device holding records has a remote_index row (putRemote writes both, dropRemote removes
  // both), so walking the folder's devices makes one primary-key lookup each: no (folder, path)
  // index to maintain on every write. CROSS JOIN keeps that order.
  const recordsForPath = db.prepare<[{ folder: number; path: string; self: string }], FileRow & { device_id: string }>(
    `SELECT @self AS device_id, ${recordColumns} FROM local_files WHERE folder = @folder AND path = @path
     UNION ALL
     SELECT t.text, ${remoteRecordColumns}
     FROM remote_index x CROSS JOIN remote_files f ON f.folder = x.folder AND f.device = x.device AND f.path = @path
       JOIN text_ids t ON t.id = x.device
     WHERE x.folder = @folder
     ORDER BY device_id`,
  );

  // The first place in path order, so that both adapters answer the same when a block repeats.
  // CROSS JOIN keeps blocks_hash as the outer loop: left to itself, the planner may walk the whole
  // folder in path order to skip the sort.
  const findBlock = db.prepare<[Buffer, number], BlockRow>(
    `SELECT b.hash, f.path, b.offset, b.size FROM blocks b CROSS JOIN local_files f ON f.file_id = b.file_id
     WHERE b.hash = ? AND f.folder = ? ORDER BY f.path, b.offset LIMIT 1`,
  );
  // One statement for any number of hashes: they come in as a JSON array of hex strings.
  const findBlocks = db.prepare<[string, number], BlockRow>(
    `SELECT hash, path, offset, size FROM (
       SELECT b.hash, f.path, b.offset, b.size,
              row_number() OVER (PARTITION BY b.hash ORDER BY f.path, b.offset) AS n
       FROM blocks b CROSS JOIN local_files f ON f.file_id = b.file_id
       WHERE b.hash IN (SELECT unhex(value) FROM json_each(?)) AND f.folder = ?
     ) WHERE n = 1`,
  );

  const deleteFolder = [
    db.prepare<[number]>('DELETE FROM blocks WHERE file_id IN (SELECT file_id FROM local_files WHERE folder = ?)'),
    db.prepare<[number]>('DELETE FROM local_files WHERE folder = ?'),
    db.prepare<[number]>('DELETE FROM remote_files WHERE folder = ?'),
    db.prepare<[number]>('DELETE FROM remote_index WHERE folder = ?'),
  ];

  const putLocal = db.transaction((folderId: string, records: readonly LocalFileRecord[]) => {
    const folder = ids.idOf(folderId);
    for (const r of records) {
      const values = codec.values(r);
      let fileId = localId.get(folder, r.path);
      if (fileId === undefined) {
        fileId = Number(insertLocal.run(folder, r.path, ...values, r.local.inode, r.local.statMtimeMs).lastInsertRowid);
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
    const folder = ids.idOf(folderId);
    const device = ids.idOf(deviceId);
    let max = 0;
    for (const r of records) {
      upsertRemote.run(folder, device, r.path, ...codec.values(r));
      max = Math.max(max, r.sequence);
    }
    upsertState.run(folder, device, indexId, max);
  });

  const dropRemote = db.transaction((folder: number, device: number) => {
    dropRemoteFiles.run(folder, device);
    dropRemoteState.run(folder, device);
  });

  /** Runs a write that may add ids; see the comment at the top. */
  const writing = <A extends unknown[]>(write: (...args: A) => void) => (...args: A): void => {
    try {
      write(...args);
    } catch (err) {
      ids.forget();
      throw err;
    }
  };
  // Reads of a folder or device that has no id: nothing is stored under it.
  const folderOf = (folderId: string): number | undefined => ids.findId(folderId);
  const pairOf = (folderId: string, deviceId: string): [number, number] | undefined => {
    const folder = ids.findId(folderId);
    if (folder === undefined) return undefined;
    const device = ids.findId(deviceId);
    return device === undefined ? undefined : [folder, device];
  };
  const location = (r: BlockRow): BlockLocation => ({ path: r.path, offset: r.offset, size: r.size });

  return {
    putLocal: writing((folderId: string, records: readonly LocalFileRecord[]) => putLocal(folderId, records)),
    getLocal: (folderId, path) => {
      const folder = folderOf(folderId);
      const row = folder === undefined ? undefined : getLocal.get(folder, path);
      return row && codec.localRecord(row);
    },
    listLocal: (folderId, page) => {
      const folder = folderOf(folderId);
      if (folder === undefined) return [];
      return (page ? pageLocal.all(folder, page.after, rowLimit(page.limit)) : listLocal.all(folder)).map(codec.localRecord);
    },
    localSince: (folderId, after, limit) => {
      const folder = folderOf(folderId);
      return folder === undefined ? [] : localSince.all(folder, after, rowLimit(limit)).map(codec.record);
    },
    localSequence: (folderId) => {
      const folder = folderOf(folderId);
      return folder === undefined ? 0 : (localSequence.get(folder) ?? 0);
    },

    putRemote: writing((folderId: string, deviceId: string, indexId: string, records: readonly FileRecord[]) =>
      putRemote(folderId, deviceId, indexId, records),
    ),
    getRemote: (folderId, deviceId, path) => {
      const pair = pairOf(folderId, deviceId);
      const row = pair && getRemote.get(...pair, path);
      return row && codec.record(row);
    },
    remoteSigs: (folderId, deviceId, paths) => {
      const out = new Map<string, Buffer>();
      const pair = pairOf(folderId, deviceId);
      if (!pair) return out;
      for (const path of paths) {
        const sig = remoteSig.get(...pair, path);
        if (sig) out.set(path, sig);
      }
      return out;
    },
    listRemote: (folderId, deviceId, page) => {
      const pair = pairOf(folderId, deviceId);
      if (!pair) return [];
      return (page ? pageRemote.all(...pair, page.after, rowLimit(page.limit)) : listRemote.all(...pair)).map(codec.record);
    },
    remoteState: (folderId, deviceId): RemoteIndexState | undefined => {
      const pair = pairOf(folderId, deviceId);
      return pair && remoteState.get(...pair);
    },
    remoteDevices: (folderId) => {
      const folder = folderOf(folderId);
      return folder === undefined ? [] : remoteDevices.all(folder);
    },
    dropRemote: (folderId, deviceId) => {
      const pair = pairOf(folderId, deviceId);
      if (pair) dropRemote(...pair);
    },

    recordsForPath: (folderId, path, selfId) => {
      const folder = folderOf(folderId);
      if (folder === undefined) return [];
      return recordsForPath.all({ folder, path, self: selfId }).map((r) => ({ deviceId: r.device_id, record: codec.record(r) }));
    },
    findBlock: (folderId, hash) => {
      const folder = folderOf(folderId);
      const row = folder === undefined ? undefined : findBlock.get(hash, folder);
      return row && location(row);
    },
    findBlocks: (folderId, hashes) => {
      const found = new Map<string, BlockLocation>();
      const folder = folderOf(folderId);
      if (hashes.length === 0 || folder === undefined) return found;
      const hex = JSON.stringify(hashes.map((h) => h.toString('hex')));
      for (const row of findBlocks.iterate(hex, folder)) found.set(row.hash.toString('hex'), location(row));
      return found;
    },
    localCounts: (folderId) => {
      const folder = folderOf(folderId);
      const c = folder === undefined ? undefined : localCounts.get(folder);
      return { files: c?.files ?? 0, dirs: c?.dirs ?? 0, deleted: c?.deleted ?? 0, bytes: c?.bytes ?? 0 };
    },

    deleteFolder: (folderId) => {
      const folder = folderOf(folderId);
      if (folder !== undefined) for (const stmt of deleteFolder) stmt.run(folder);
    },
  };
}

/** SQLite reads a negative LIMIT as "no limit" and refuses a fractional one; the port means "at most". */
function rowLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
}

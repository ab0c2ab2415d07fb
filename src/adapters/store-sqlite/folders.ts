import type Database from 'better-sqlite3';
import type { FolderRecord, FolderRepo, FolderSyncState } from '../../ports/store.js';

interface FolderRow {
  folder_id: string;
  space_id: string;
  name: string;
  path: string;
  state: FolderSyncState;
  index_id: string;
  created_at: number;
}

function fromRow(r: FolderRow): FolderRecord {
  return {
    folderId: r.folder_id,
    spaceId: r.space_id,
    name: r.name,
    path: r.path,
    state: r.state,
    indexId: r.index_id,
    createdAt: r.created_at,
  };
}

/** `delete` here removes only the folder row; the store cascades to its index (index.ts). */
export function createFolderRepo(db: Database.Database): FolderRepo {
  const put = db.prepare<[string, string, string, string, string, string, number]>(
    `INSERT INTO folders (folder_id, space_id, name, path, state, index_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (folder_id) DO UPDATE SET
       space_id = excluded.space_id, name = excluded.name, path = excluded.path, state = excluded.state,
       index_id = excluded.index_id, created_at = excluded.created_at`,
  );
  const get = db.prepare<[string], FolderRow>('SELECT * FROM folders WHERE folder_id = ?');
  const listAll = db.prepare<[], FolderRow>('SELECT * FROM folders ORDER BY created_at, folder_id');
  const listSpace = db.prepare<[string], FolderRow>('SELECT * FROM folders WHERE space_id = ? ORDER BY created_at, folder_id');
  const del = db.prepare<[string]>('DELETE FROM folders WHERE folder_id = ?');

  return {
    put: (f) => void put.run(f.folderId, f.spaceId, f.name, f.path, f.state, f.indexId, f.createdAt),
    get: (folderId) => {
      const row = get.get(folderId);
      return row && fromRow(row);
    },
    list: (spaceId) => (spaceId === undefined ? listAll.all() : listSpace.all(spaceId)).map(fromRow),
    delete: (folderId) => void del.run(folderId),
  };
}

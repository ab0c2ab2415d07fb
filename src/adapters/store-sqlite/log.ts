import type Database from 'better-sqlite3';
import type { LogStub, NameDisclosure } from '../../protocol/index.js';
import type { LogRepo, StoredLogEntry } from '../../ports/store.js';

interface LogRow {
  id: string;
  space_id: string;
  author: string;
  parents: string;
  bytes: Buffer;
  sig: Buffer;
  received_at: number;
}

const columns = 'id, space_id, author, parents, bytes, sig, received_at';

function fromRow(r: LogRow): StoredLogEntry {
  return {
    id: r.id,
    spaceId: r.space_id,
    author: r.author,
    parents: JSON.parse(r.parents) as string[],
    bytes: r.bytes,
    sig: r.sig,
    receivedAt: r.received_at,
  };
}

export interface SqliteLogRepo extends LogRepo {
  /** Forgets every entry of a space (when the space itself is deleted). */
  deleteSpace(spaceId: string): void;
}

/**
 * Stubs (see LogStub) share the log table, as rows with an empty author, bytes and signature:
 * an entry that arrives later takes over its stub's row. Every read of entries leaves them out.
 */
export function createLogRepo(db: Database.Database): SqliteLogRepo {
  // Only the duplicate id is tolerated (other violations still fail), and a stub gives way to its entry.
  const append = db.prepare<[string, string, string, string, Buffer, Buffer, number]>(
    `INSERT INTO log (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (id) DO UPDATE SET author = excluded.author, parents = excluded.parents, bytes = excluded.bytes,
       sig = excluded.sig, received_at = excluded.received_at
     WHERE log.author = '' AND log.space_id = excluded.space_id`,
  );
  const putStub = db.prepare<[string, string, string, number]>(
    `INSERT INTO log (${columns}) VALUES (?, ?, '', ?, x'', x'', ?) ON CONFLICT (id) DO NOTHING`,
  );
  const stubs = db.prepare<[string], { id: string; parents: string }>(`SELECT id, parents FROM log WHERE space_id = ? AND author = '' ORDER BY seq`);
  const has = db.prepare<[string], number>(`SELECT 1 FROM log WHERE id = ? AND author <> ''`).pluck();
  const get = db.prepare<[string], LogRow>(`SELECT ${columns} FROM log WHERE id = ? AND author <> ''`);
  const list = db.prepare<[string], LogRow>(`SELECT ${columns} FROM log WHERE space_id = ? AND author <> '' ORDER BY seq`);
  const count = db.prepare<[string], number>(`SELECT count(*) FROM log WHERE space_id = ? AND author <> ''`).pluck();
  const deleteSpace = db.prepare<[string]>('DELETE FROM log WHERE space_id = ?');
  const putName = db.prepare<[string, string, string, string]>('INSERT INTO log_names (space_id, h, salt, name) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const names = db.prepare<[string], NameDisclosure>('SELECT h, salt, name FROM log_names WHERE space_id = ?');
  const deleteNames = db.prepare<[string]>('DELETE FROM log_names WHERE space_id = ?');

  return {
    append: (e) =>
      append.run(e.id, e.spaceId, e.author, JSON.stringify(e.parents), e.bytes, e.sig, e.receivedAt).changes > 0,
    has: (id) => has.get(id) !== undefined,
    get: (id) => {
      const row = get.get(id);
      return row && fromRow(row);
    },
    list: (spaceId) => list.all(spaceId).map(fromRow),
    count: (spaceId) => count.get(spaceId) ?? 0,
    putStub: (spaceId, stub) => void putStub.run(stub.id, spaceId, JSON.stringify(stub.parents), Date.now()),
    stubs: (spaceId): LogStub[] => stubs.all(spaceId).map((r) => ({ id: r.id, parents: JSON.parse(r.parents) as string[] })),
    putName: (spaceId, n) => void putName.run(spaceId, n.h, n.salt, n.name),
    names: (spaceId) => names.all(spaceId).map((n) => ({ h: n.h, salt: n.salt, name: n.name })),
    deleteSpace: (spaceId) => {
      deleteSpace.run(spaceId);
      deleteNames.run(spaceId);
    },
  };
}

import type Database from 'better-sqlite3';
import type { SpaceRecord, SpaceRepo } from '../../ports/store.js';

interface SpaceRow {
  space_id: string;
  name: string;
  dir: string;
  secret: Buffer;
  joined_at: number;
}

function fromRow(r: SpaceRow): SpaceRecord {
  return { spaceId: r.space_id, name: r.name, dir: r.dir, secret: r.secret, joinedAt: r.joined_at };
}

/** `delete` here removes only the space row; the store cascades to the log and invites (index.ts). */
export function createSpaceRepo(db: Database.Database): SpaceRepo {
  const put = db.prepare<[string, string, string, Buffer, number]>(
    `INSERT INTO spaces (space_id, name, dir, secret, joined_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (space_id) DO UPDATE SET
       name = excluded.name, dir = excluded.dir, secret = excluded.secret, joined_at = excluded.joined_at`,
  );
  const get = db.prepare<[string], SpaceRow>('SELECT * FROM spaces WHERE space_id = ?');
  const list = db.prepare<[], SpaceRow>('SELECT * FROM spaces ORDER BY joined_at, space_id');
  const del = db.prepare<[string]>('DELETE FROM spaces WHERE space_id = ?');

  return {
    put: (s) => void put.run(s.spaceId, s.name, s.dir, s.secret, s.joinedAt),
    get: (spaceId) => {
      const row = get.get(spaceId);
      return row && fromRow(row);
    },
    list: () => list.all().map(fromRow),
    delete: (spaceId) => void del.run(spaceId),
  };
}

import type Database from 'better-sqlite3';
import type { InviteRecord, InviteRepo, Role } from '../../ports/store.js';

interface InviteRow {
  invite_id: string;
  space_id: string;
  role: Role;
  created_at: number;
  expires_at: number;
  max_uses: number;
  code: string;
  revoked: number;
  grants: string;
}

function fromRow(r: InviteRow): InviteRecord {
  return {
    inviteId: r.invite_id,
    spaceId: r.space_id,
    role: r.role,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    maxUses: r.max_uses,
    code: r.code,
    revoked: r.revoked !== 0,
    grants: JSON.parse(r.grants) as InviteRecord['grants'],
  };
}

export interface SqliteInviteRepo extends InviteRepo {
  /** Forgets every invite of a space (when the space itself is deleted). */
  deleteSpace(spaceId: string): void;
}

export function createInviteRepo(db: Database.Database): SqliteInviteRepo {
  const put = db.prepare<[string, string, string, number, number, number, string, number, string]>(
    `INSERT INTO invites (invite_id, space_id, role, created_at, expires_at, max_uses, code, revoked, grants)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (invite_id) DO UPDATE SET
       space_id = excluded.space_id, role = excluded.role, created_at = excluded.created_at,
       expires_at = excluded.expires_at, max_uses = excluded.max_uses, code = excluded.code,
       revoked = excluded.revoked, grants = excluded.grants`,
  );
  const get = db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE invite_id = ?');
  const list = db.prepare<[string], InviteRow>('SELECT * FROM invites WHERE space_id = ? ORDER BY created_at, invite_id');
  const deleteSpace = db.prepare<[string]>('DELETE FROM invites WHERE space_id = ?');

  return {
    put: (i) =>
      void put.run(i.inviteId, i.spaceId, i.role, i.createdAt, i.expiresAt, i.maxUses, i.code, i.revoked ? 1 : 0, JSON.stringify(i.grants)),
    get: (inviteId) => {
      const row = get.get(inviteId);
      return row && fromRow(row);
    },
    list: (spaceId) => list.all(spaceId).map(fromRow),
    deleteSpace: (spaceId) => void deleteSpace.run(spaceId),
  };
}

import type Database from 'better-sqlite3';
import type { PeerRecord, PeerRepo } from '../../ports/store.js';

interface PeerRow {
  device_id: string;
  name: string;
  addresses: string;
  last_seen: number;
}

function fromRow(r: PeerRow): PeerRecord {
  return { deviceId: r.device_id, name: r.name, addresses: JSON.parse(r.addresses) as string[], lastSeen: r.last_seen };
}

export function createPeerRepo(db: Database.Database): PeerRepo {
  const upsert = db.prepare<[string, string, string, number]>(
    `INSERT INTO peers (device_id, name, addresses, last_seen) VALUES (?, ?, ?, ?)
     ON CONFLICT (device_id) DO UPDATE SET
       name = excluded.name, addresses = excluded.addresses, last_seen = excluded.last_seen`,
  );
  const get = db.prepare<[string], PeerRow>('SELECT * FROM peers WHERE device_id = ?');
  const list = db.prepare<[], PeerRow>('SELECT * FROM peers ORDER BY last_seen DESC, device_id');

  return {
    upsert: (p) => void upsert.run(p.deviceId, p.name, JSON.stringify(p.addresses), p.lastSeen),
    get: (deviceId) => {
      const row = get.get(deviceId);
      return row && fromRow(row);
    },
    list: () => list.all().map(fromRow),
  };
}

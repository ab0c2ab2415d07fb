import type Database from 'better-sqlite3';
import { AgoraError } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';

/**
 * Schema history. A migration, once released, is never edited: a database in the field may already
 * carry it. To change the schema, append `{ version: N + 1, ... }`; a new feature's table group
 * (sync indexes, chat, ...) arrives the same way. `PRAGMA user_version` records the last one applied.
 *
 * No foreign keys between these tables: the log and invites are keyed by space id, but entries may
 * be stored before or after the space itself, and the memory adapter must behave the same way.
 */
export interface Migration {
  version: number;
  name: string;
  up(db: Database.Database): void;
}

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'spaces, log, invites, peers, settings',
    up(db) {
      db.exec(`
        CREATE TABLE spaces (
          space_id  TEXT PRIMARY KEY,
          name      TEXT NOT NULL,
          dir       TEXT NOT NULL,
          secret    BLOB NOT NULL,
          joined_at INTEGER NOT NULL
        );

        -- seq gives arrival order; AUTOINCREMENT so that a deleted tail is never reused.
        CREATE TABLE log (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          id          TEXT NOT NULL UNIQUE,
          space_id    TEXT NOT NULL,
          author      TEXT NOT NULL,
          parents     TEXT NOT NULL,
          bytes       BLOB NOT NULL,
          sig         BLOB NOT NULL,
          received_at INTEGER NOT NULL
        );
        CREATE INDEX log_space_seq ON log (space_id, seq);

        CREATE TABLE invites (
          invite_id  TEXT PRIMARY KEY,
          space_id   TEXT NOT NULL,
          role       TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          max_uses   INTEGER NOT NULL,
          code       TEXT NOT NULL,
          revoked    INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX invites_space ON invites (space_id, created_at);

        CREATE TABLE peers (
          device_id TEXT PRIMARY KEY,
          name      TEXT NOT NULL,
          addresses TEXT NOT NULL,
          last_seen INTEGER NOT NULL
        );

        CREATE TABLE settings (
          key   TEXT PRIMARY KEY,
          value TEXT NOT NULL
        );
      `);
    },
  },
];

/** The schema version this code writes; a database above it came from a newer Agora. */
export const schemaVersion = migrations.length;

/** Brings `db` up to `schemaVersion`, one transaction per migration so a crash leaves a known version. */
export function migrate(db: Database.Database, file: string, logger?: Logger, list: readonly Migration[] = migrations): void {
  checkOrder(list);
  const known = list.length;
  const current = db.pragma('user_version', { simple: true }) as number;
  if (current > known) {
    throw new AgoraError(
      'STORE',
      `The database ${file} was written by a newer version of Agora (schema ${current}; this version knows up to ${known}). ` +
        'Upgrade Agora, or point this node at another home directory.',
      { details: { file, version: current, known } },
    );
  }
  for (const m of list) {
    if (m.version <= current) continue;
    db.transaction(() => {
      m.up(db);
      // user_version lives in the file header, so it commits or rolls back with the migration.
      db.pragma(`user_version = ${m.version}`);
    })();
    logger?.info({ file, version: m.version, migration: m.name }, 'store migrated');
  }
}

/** Catches a migration appended with a gap or out of order before it touches a database. */
function checkOrder(list: readonly Migration[]): void {
  list.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`store migrations: entry ${i} has version ${m.version}, expected ${i + 1}`);
  });
}

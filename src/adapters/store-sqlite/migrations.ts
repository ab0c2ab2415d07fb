import type Database from 'better-sqlite3';
import { AgoraError } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import { readPragma, setPragma } from './pragma.js';
import { compactVersion, createTextIds } from './text-ids.js';

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
  {
    version: 2,
    name: 'folders, sync index, block finder',
    up(db) {
      // This device's own index and its peers' live in separate tables: only our own records carry
      // stat() data and blocks we can read, and only they need the sequence index (peers' progress
      // is kept per device in remote_index). Small columns come before `blocks` so that counting and
      // sequence scans do not read a large file's block list.
      db.exec(`
        CREATE TABLE folders (
          folder_id  TEXT PRIMARY KEY,
          space_id   TEXT NOT NULL,
          name       TEXT NOT NULL,
          path       TEXT NOT NULL,
          state      TEXT NOT NULL,
          index_id   TEXT NOT NULL,
          created_at INTEGER NOT NULL
        );
        CREATE INDEX folders_space ON folders (space_id, created_at);

        -- file_id is an INTEGER PRIMARY KEY (not the implicit rowid) so that VACUUM keeps it: blocks refer to it.
        -- blocks: each block as its 32-byte hash then its size as a big-endian uint32.
        CREATE TABLE local_files (
          file_id       INTEGER PRIMARY KEY,
          folder_id     TEXT NOT NULL,
          path          TEXT NOT NULL,
          seq           INTEGER NOT NULL,
          type          TEXT NOT NULL,
          size          INTEGER NOT NULL,
          mtime_ms      INTEGER NOT NULL,
          mode          INTEGER NOT NULL,
          deleted       INTEGER NOT NULL,
          modified_by   TEXT NOT NULL,
          inode         INTEGER NOT NULL,
          stat_mtime_ms REAL NOT NULL,
          version       TEXT NOT NULL,
          blocks        BLOB NOT NULL,
          UNIQUE (folder_id, path)
        );
        CREATE INDEX local_files_seq ON local_files (folder_id, seq);

        CREATE TABLE remote_files (
          folder_id   TEXT NOT NULL,
          device_id   TEXT NOT NULL,
          path        TEXT NOT NULL,
          seq         INTEGER NOT NULL,
          type        TEXT NOT NULL,
          size        INTEGER NOT NULL,
          mtime_ms    INTEGER NOT NULL,
          mode        INTEGER NOT NULL,
          deleted     INTEGER NOT NULL,
          modified_by TEXT NOT NULL,
          version     TEXT NOT NULL,
          blocks      BLOB NOT NULL,
          PRIMARY KEY (folder_id, device_id, path)
        );

        CREATE TABLE remote_index (
          folder_id TEXT NOT NULL,
          device_id TEXT NOT NULL,
          index_id  TEXT NOT NULL,
          max_seq   INTEGER NOT NULL,
          PRIMARY KEY (folder_id, device_id)
        ) WITHOUT ROWID;

        -- Block finder over local_files only (live files, not tombstones or directories). Keyed by
        -- file_id rather than by folder and path, which every row and the hash index would repeat:
        -- blocks are the biggest table (one row per block of every file).
        CREATE TABLE blocks (
          file_id INTEGER NOT NULL,
          offset  INTEGER NOT NULL,
          size    INTEGER NOT NULL,
          hash    BLOB NOT NULL,
          PRIMARY KEY (file_id, offset)
        ) WITHOUT ROWID;
        CREATE INDEX blocks_hash ON blocks (hash);
      `);
    },
  },
  {
    version: 3,
    name: 'log names, invite grants; log format 2',
    up(db) {
      // Log format 2 commits to names instead of carrying them; format-1 entries cannot be
      // converted (their signatures cover the old bytes). They came from pre-release builds only.
      db.exec(`
        CREATE TABLE log_names (
          space_id TEXT NOT NULL,
          h        TEXT NOT NULL,
          salt     TEXT NOT NULL,
          name     TEXT NOT NULL,
          PRIMARY KEY (space_id, h)
        ) WITHOUT ROWID;
        ALTER TABLE invites ADD COLUMN grants TEXT NOT NULL DEFAULT '[]';
      `);
    },
  },
  {
    version: 4,
    name: 'signed index records',
    up(db) {
      // Last in the row, like blocks: counting and sequence scans never read it. Rows from
      // before have no signature (x''); a peer gets them again, signed, after its index resets.
      db.exec(`
        ALTER TABLE local_files ADD COLUMN sig BLOB NOT NULL DEFAULT x'';
        ALTER TABLE remote_files ADD COLUMN sig BLOB NOT NULL DEFAULT x'';
      `);
    },
  },
  {
    version: 5,
    name: 'chat messages, chat sync state, attachments',
    up(db) {
      // seq is the arrival order within a space (ChatRepo.add assigns max + 1), which peers page
      // through; a channel is read in lamport order. Messages are never updated or deleted one by
      // one (edits and deletes are messages), only with their space. The attachment list is kept
      // whole in the row (JSON, for reading the message back) and once per id in
      // chat_message_attachments (to find the channels an attachment may be served to). Small
      // columns come before bytes and sig, as in the index tables.
      db.exec(`
        CREATE TABLE chat_messages (
          id          TEXT NOT NULL UNIQUE,
          space_id    TEXT NOT NULL,
          seq         INTEGER NOT NULL,
          channel_id  TEXT NOT NULL,
          author      TEXT NOT NULL,
          lamport     INTEGER NOT NULL,
          time        INTEGER NOT NULL,
          kind        TEXT NOT NULL,
          target      TEXT,
          attachments TEXT NOT NULL,
          via         TEXT NOT NULL,
          bytes       BLOB NOT NULL,
          sig         BLOB NOT NULL
        );
        CREATE UNIQUE INDEX chat_messages_seq ON chat_messages (space_id, seq);
        CREATE INDEX chat_messages_order ON chat_messages (space_id, channel_id, lamport, time, id);
        -- Unread counts: the posts of one channel above a read mark, without walking the channel.
        CREATE INDEX chat_messages_channel_seq ON chat_messages (space_id, channel_id, seq);

        CREATE TABLE chat_message_attachments (
          space_id      TEXT NOT NULL,
          attachment_id TEXT NOT NULL,
          message_id    TEXT NOT NULL,
          PRIMARY KEY (space_id, attachment_id, message_id)
        ) WITHOUT ROWID;

        -- This device's chat log id per space; a new one (after the space was left and joined
        -- again) tells peers to send everything anew.
        CREATE TABLE chat_logs (
          space_id TEXT PRIMARY KEY,
          log_id   TEXT NOT NULL
        ) WITHOUT ROWID;

        CREATE TABLE chat_peers (
          space_id TEXT NOT NULL,
          peer     TEXT NOT NULL,
          log_id   TEXT NOT NULL,
          seq      INTEGER NOT NULL,
          PRIMARY KEY (space_id, peer)
        ) WITHOUT ROWID;

        CREATE TABLE chat_read_marks (
          space_id   TEXT NOT NULL,
          channel_id TEXT NOT NULL,
          seq        INTEGER NOT NULL,
          PRIMARY KEY (space_id, channel_id)
        ) WITHOUT ROWID;

        -- manifest: the block list (32-byte hash + big-endian uint32 size per block), NULL until fetched.
        CREATE TABLE chat_attachments (
          space_id      TEXT NOT NULL,
          attachment_id TEXT NOT NULL,
          name          TEXT NOT NULL,
          size          INTEGER NOT NULL,
          complete      INTEGER NOT NULL,
          manifest      BLOB,
          PRIMARY KEY (space_id, attachment_id)
        );
      `);
    },
  },
  {
    version: 6,
    name: 'file history (audit)',
    up(db) {
      // Every version of every path this device took into a folder, for the audit (FileHistoryRepo).
      // seq is the order of recording; AUTOINCREMENT so that a pruned seq is never reused (it is a
      // paging cursor). The unique key drops the same version announced again by another peer.
      // version: the vector as "device:value,..." text (the row's identity with folder and path).
      // Rows are kept to a cap per folder by the core (prune), and go with their folder.
      db.exec(`
        CREATE TABLE file_history (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          folder_id   TEXT NOT NULL,
          path        TEXT NOT NULL,
          version     TEXT NOT NULL,
          type        TEXT NOT NULL,
          deleted     INTEGER NOT NULL,
          size        INTEGER NOT NULL,
          mtime_ms    INTEGER NOT NULL,
          modified_by TEXT NOT NULL,
          signed      INTEGER NOT NULL,
          recorded_at INTEGER NOT NULL,
          UNIQUE (folder_id, path, version)
        );
        CREATE INDEX file_history_order ON file_history (folder_id, seq);
      `);
    },
  },
  {
    version: 7,
    name: 'log points of index records',
    up(db) {
      // FileRecord.at: the space-log heads its author was at, ids joined by ','. Last in the row,
      // like sig. Rows from before have none (''): they are trusted as the store is, but a peer
      // refuses them, and their signatures (format 1) no longer verify; the next change of each
      // file makes a new, stamped version. They came from pre-release builds only.
      db.exec(`
        ALTER TABLE local_files ADD COLUMN at TEXT NOT NULL DEFAULT '';
        ALTER TABLE remote_files ADD COLUMN at TEXT NOT NULL DEFAULT '';
      `);
    },
  },
  {
    version: 8,
    name: 'file history with ids as integers',
    up(db) {
      // text_ids (text-ids.ts) holds each folder and device id once. file_history keeps its rows,
      // seqs and order, but names its folder and author by id, and writes its version vector as
      // `id:value,…`: with its two indexes, ~380 bytes less per row.
      db.exec(`
        CREATE TABLE text_ids (
          id   INTEGER PRIMARY KEY,
          text TEXT NOT NULL UNIQUE
        );
        CREATE TABLE file_history_v8 (
          seq         INTEGER PRIMARY KEY AUTOINCREMENT,
          folder      INTEGER NOT NULL,
          path        TEXT NOT NULL,
          version     TEXT NOT NULL,
          type        TEXT NOT NULL,
          deleted     INTEGER NOT NULL,
          size        INTEGER NOT NULL,
          mtime_ms    INTEGER NOT NULL,
          author      INTEGER NOT NULL,
          signed      INTEGER NOT NULL,
          recorded_at INTEGER NOT NULL,
          UNIQUE (folder, path, version)
        );
      `);
      const ids = createTextIds(db);
      const insert = db.prepare(
        `INSERT INTO file_history_v8 (seq, folder, path, version, type, deleted, size, mtime_ms, author, signed, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      const rows = db
        .prepare('SELECT seq, folder_id, path, version, type, deleted, size, mtime_ms, modified_by, signed, recorded_at FROM file_history ORDER BY seq')
        .raw()
        .all() as [number, string, string, string, string, number, number, number, string, number, number][];
      for (const [seq, folderId, path, version, type, deleted, size, mtimeMs, modifiedBy, signed, recordedAt] of rows) {
        insert.run(seq, ids.idOf(folderId), path, compactVersion(version, ids.idOf)!, type, deleted, size, mtimeMs, ids.idOf(modifiedBy), signed, recordedAt);
      }
      // seq is never reused, even after the newest rows went with their folder: keep the counter.
      const counter = db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'file_history'").pluck().get() as number | undefined;
      db.exec(`
        DROP TABLE file_history;
        ALTER TABLE file_history_v8 RENAME TO file_history;
        CREATE INDEX file_history_order ON file_history (folder, seq);
      `);
      if (counter !== undefined) {
        db.prepare("DELETE FROM sqlite_sequence WHERE name = 'file_history'").run();
        db.prepare("INSERT INTO sqlite_sequence (name, seq) VALUES ('file_history', ?)").run(Math.max(counter, rows.at(-1)?.[0] ?? 0));
      }
    },
  },
  {
    version: 9,
    name: 'index records with ids as integers',
    up(db) {
      // As migration 8 did for the history: the folder, the peer, the author, each device of the
      // version vector and each log entry of the log point become numbers of text_ids, about 1 KB
      // less per file counting both tables and their indexes. local_files keeps its file_ids (the
      // blocks refer to them). remote_files is keyed by (folder, device, path) alone, WITHOUT
      // ROWID, so that key is not stored twice. sig comes before blocks, which may overflow the
      // page for a big file. version: `id:value,…`; at: ids joined by ','.
      db.exec(`
        CREATE TABLE local_files_v9 (
          file_id       INTEGER PRIMARY KEY,
          folder        INTEGER NOT NULL,
          path          TEXT NOT NULL,
          seq           INTEGER NOT NULL,
          type          TEXT NOT NULL,
          size          INTEGER NOT NULL,
          mtime_ms      INTEGER NOT NULL,
          mode          INTEGER NOT NULL,
          deleted       INTEGER NOT NULL,
          author        INTEGER NOT NULL,
          inode         INTEGER NOT NULL,
          stat_mtime_ms REAL NOT NULL,
          version       TEXT NOT NULL,
          at            TEXT NOT NULL,
          sig           BLOB NOT NULL,
          blocks        BLOB NOT NULL,
          UNIQUE (folder, path)
        );
        CREATE TABLE remote_files_v9 (
          folder   INTEGER NOT NULL,
          device   INTEGER NOT NULL,
          path     TEXT NOT NULL,
          seq      INTEGER NOT NULL,
          type     TEXT NOT NULL,
          size     INTEGER NOT NULL,
          mtime_ms INTEGER NOT NULL,
          mode     INTEGER NOT NULL,
          deleted  INTEGER NOT NULL,
          author   INTEGER NOT NULL,
          version  TEXT NOT NULL,
          at       TEXT NOT NULL,
          sig      BLOB NOT NULL,
          blocks   BLOB NOT NULL,
          PRIMARY KEY (folder, device, path)
        ) WITHOUT ROWID;
        CREATE TABLE remote_index_v9 (
          folder   INTEGER NOT NULL,
          device   INTEGER NOT NULL,
          index_id TEXT NOT NULL,
          max_seq  INTEGER NOT NULL,
          PRIMARY KEY (folder, device)
        ) WITHOUT ROWID;
      `);
      const ids = createTextIds(db);
      const version = (json: string): string =>
        (JSON.parse(json) as [string, number][]).map(([device, value]) => `${ids.idOf(device)}:${value}`).join(',');
      const at = (text: string): string => (text === '' ? '' : text.split(',').map((id) => ids.idOf(id)).join(','));
      // A page at a time: a folder of 100k files is not read into memory at once.
      copyPaged(
        db,
        `SELECT file_id, folder_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, inode, stat_mtime_ms, version, at, sig, blocks
         FROM local_files WHERE file_id > ? ORDER BY file_id LIMIT 2000`,
        `INSERT INTO local_files_v9 (file_id, folder, path, seq, type, size, mtime_ms, mode, deleted, author, inode, stat_mtime_ms, version, at, sig, blocks)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        (r) => {
          const [fileId, folderId, path, seq, type, size, mtimeMs, mode, deleted, modifiedBy, inode, statMtimeMs, v, a, sig, blocks] = r;
          return [fileId, ids.idOf(folderId as string), path, seq, type, size, mtimeMs, mode, deleted, ids.idOf(modifiedBy as string), inode, statMtimeMs, version(v as string), at(a as string), sig, blocks];
        },
      );
      copyPaged(
        db,
        `SELECT rowid, folder_id, device_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, version, at, sig, blocks
         FROM remote_files WHERE rowid > ? ORDER BY rowid LIMIT 2000`,
        `INSERT INTO remote_files_v9 (folder, device, path, seq, type, size, mtime_ms, mode, deleted, author, version, at, sig, blocks)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        (r) => {
          const [, folderId, deviceId, path, seq, type, size, mtimeMs, mode, deleted, modifiedBy, v, a, sig, blocks] = r;
          return [ids.idOf(folderId as string), ids.idOf(deviceId as string), path, seq, type, size, mtimeMs, mode, deleted, ids.idOf(modifiedBy as string), version(v as string), at(a as string), sig, blocks];
        },
      );
      const addState = db.prepare('INSERT INTO remote_index_v9 (folder, device, index_id, max_seq) VALUES (?, ?, ?, ?)');
      for (const [folderId, deviceId, indexId, maxSeq] of db.prepare('SELECT folder_id, device_id, index_id, max_seq FROM remote_index').raw().all() as [string, string, string, number][]) {
        addState.run(ids.idOf(folderId), ids.idOf(deviceId), indexId, maxSeq);
      }
      db.exec(`
        DROP TABLE local_files;
        DROP TABLE remote_files;
        DROP TABLE remote_index;
        ALTER TABLE local_files_v9 RENAME TO local_files;
        ALTER TABLE remote_files_v9 RENAME TO remote_files;
        ALTER TABLE remote_index_v9 RENAME TO remote_index;
        CREATE INDEX local_files_seq ON local_files (folder, seq);
      `);
    },
  },
];

/**
 * Copies rows page by page: `select` takes the last key of the page before (the first column of
 * its rows) and returns the next page; `convert` turns a row into `insert`'s parameters.
 * better-sqlite3 cannot write while a statement is iterating, so each page is read whole.
 */
function copyPaged(db: Database.Database, select: string, insert: string, convert: (row: unknown[]) => unknown[]): void {
  const page = db.prepare<[number], unknown[]>(select).raw();
  const add = db.prepare(insert);
  let after = 0;
  for (;;) {
    const rows = page.all(after);
    for (const row of rows) add.run(...convert(row));
    const last = rows.at(-1);
    if (!last) return;
    after = last[0] as number;
  }
}

/** The schema version this code writes; a database above it came from a newer Agora. */
export const schemaVersion = migrations.length;

/** Brings `db` up to `schemaVersion`, one transaction per migration so a crash leaves a known version. */
export function migrate(db: Database.Database, file: string, logger?: Logger, list: readonly Migration[] = migrations): void {
  checkOrder(list);
  const known = list.length;
  const current = readPragma(db, 'user_version') as number;
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
      setPragma(db, `user_version = ${m.version}`);
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

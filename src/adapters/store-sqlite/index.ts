import fs from 'node:fs';
import Database from 'better-sqlite3';
import { AgoraError } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type { FolderRepo, SpaceRepo, Store } from '../../ports/store.js';
import { createChatRepo } from './chat.js';
import { guard, guarded, toStoreError } from './errors.js';
import { createFileHistoryRepo } from './file-history.js';
import { createTextIds } from './text-ids.js';
import { createFolderRepo } from './folders.js';
import { createIndexRepo } from './index-repo.js';
import { createInviteRepo } from './invites.js';
import { createLogRepo } from './log.js';
import { migrate } from './migrations.js';
import { createPeerRepo } from './peers.js';
import { readPragma, setPragma } from './pragma.js';
import { createSettingsRepo } from './settings.js';
import { createSpaceRepo } from './spaces.js';

export { migrations, schemaVersion } from './migrations.js';

export interface SqliteStoreOptions {
  logger?: Logger;
  /** How long a write waits for another connection's lock before failing (default 5000 ms). */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the node's database at `file` and brings its schema up to date.
 * Pass ':memory:' for a throw-away database. Fails with AgoraError('STORE') when the file is held
 * by another process, corrupt, or written by a newer Agora.
 */
export function openSqliteStore(file: string, options: SqliteStoreOptions = {}): Store {
  const logger = options.logger?.child({ component: 'store' });
  let db: Database.Database | undefined;
  try {
    const onDisk = file !== ':memory:';
    if (onDisk) createPrivate(file);
    db = new Database(file);
    // Before the first statement that takes a lock, so a held lock waits instead of failing at once.
    setPragma(db, `busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
    if (onDisk) {
      // One process owns a node's database (the daemon checks its pid file). Holding the lock
      // for good spares the ~30 lock and unlock calls (fcntl) that each file synced cost in
      // statements outside transactions, and keeps the WAL index in memory instead of -shm.
      // Set before WAL mode: only then does SQLite leave the -shm file out.
      setPragma(db, 'locking_mode = EXCLUSIVE');
      const mode = readPragma(db, 'journal_mode = WAL');
      if (mode !== 'wal') {
        throw new AgoraError('STORE', `The database ${file} could not be switched to WAL mode (got ${String(mode)}). Is it on a network or read-only file system?`);
      }
    }
    setPragma(db, 'synchronous = NORMAL');
    // Statement journals and sorts in memory: they are small here, and otherwise each write
    // that needs one creates, writes and deletes a file in /var/tmp, another file system that
    // may be full or read-only.
    setPragma(db, 'temp_store = MEMORY');
    setPragma(db, 'foreign_keys = ON');
    migrate(db, file, logger);
    const store = assemble(db, file);
    logger?.debug({ file }, 'store opened');
    return store;
  } catch (err) {
    db?.close();
    throw toStoreError(err, file);
  }
}

/**
 * Creates the file owner-only before SQLite touches it, so it is never world-readable even briefly;
 * chmod covers a file that already existed. SQLite gives -wal and -shm the database file's mode.
 */
function createPrivate(file: string): void {
  fs.closeSync(fs.openSync(file, fs.constants.O_CREAT | fs.constants.O_RDWR, 0o600));
  fs.chmodSync(file, 0o600);
}

function assemble(db: Database.Database, file: string): Store {
  const spaces = createSpaceRepo(db);
  const log = createLogRepo(db);
  const invites = createInviteRepo(db);
  const { deleteSpace: deleteChat, ...chat } = createChatRepo(db);
  // Leaving a space forgets everything stored under it; the log, invites and chat have no owner otherwise.
  const deleteSpace = db.transaction((spaceId: string) => {
    log.deleteSpace(spaceId);
    invites.deleteSpace(spaceId);
    deleteChat(spaceId);
    spaces.delete(spaceId);
  });
  // better-sqlite3 nests inner calls as savepoints, so an inner failure caught by the caller
  // undoes only the inner writes.
  const runInTransaction = db.transaction((fn: () => unknown) => {
    const result = fn();
    if (isThenable(result)) {
      throw new TypeError('Store.transaction(fn): fn must be synchronous; writes after its first await would escape the transaction.');
    }
    return result;
  });
  const spaceRepo: SpaceRepo = { ...spaces, delete: (spaceId) => deleteSpace(spaceId) };
  const folders = createFolderRepo(db);
  const textIds = createTextIds(db);
  const { deleteFolder: deleteIndex, ...index } = createIndexRepo(db, textIds);
  const { deleteFolder: deleteHistory, ...fileHistory } = createFileHistoryRepo(db, textIds);
  // A folder's index (own and peers' records, block finder) and history have no meaning without the folder.
  const deleteFolder = db.transaction((folderId: string) => {
    deleteIndex(folderId);
    deleteHistory(folderId);
    folders.delete(folderId);
  });
  const folderRepo: FolderRepo = { ...folders, delete: (folderId) => deleteFolder(folderId) };

  return {
    spaces: guarded(file, spaceRepo),
    log: guarded(file, {
      append: log.append,
      has: log.has,
      get: log.get,
      list: log.list,
      count: log.count,
      putStub: log.putStub,
      stubs: log.stubs,
      putName: log.putName,
      names: log.names,
    }),
    invites: guarded(file, { put: invites.put, get: invites.get, list: invites.list }),
    peers: guarded(file, createPeerRepo(db)),
    settings: guarded(file, createSettingsRepo(db)),
    folders: guarded(file, folderRepo),
    index: guarded(file, index),
    chat: guarded(file, chat),
    fileHistory: guarded(file, fileHistory),
    transaction: <T>(fn: () => T): T =>
      guard(file, () => {
        try {
          return runInTransaction(fn) as T;
        } catch (err) {
          textIds.forget(); // rolled back: ids added inside are gone
          throw err;
        }
      }),
    close: () => {
      if (db.open) db.close();
    },
  };
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

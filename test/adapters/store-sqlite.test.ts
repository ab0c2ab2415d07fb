import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrations, openSqliteStore, schemaVersion } from '../../src/adapters/store-sqlite/index.js';
import { migrate, type Migration } from '../../src/adapters/store-sqlite/migrations.js';
import type { Store } from '../../src/ports/store.js';
import type { FileRecord } from '../../src/protocol/index.js';
import { describeStorePort } from '../ports/store-suite.js';
import { expectStoreError, space } from '../ports/store-suite-fixtures.js';
import { block, devA, devB, file as fileRecord, own, self } from '../ports/store-suite-sync.js';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'agora-store-'));
}

describeStorePort('sqlite', () => {
  const dir = tempDir();
  const file = path.join(dir, 'agora.db');
  let current: Store = openSqliteStore(file);
  return {
    store: current,
    reopen: () => {
      current.close();
      current = openSqliteStore(file);
      return current;
    },
    cleanup: () => {
      current.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('sqlite store, file level', () => {
  let dir: string;
  let file: string;
  const open: Store[] = [];
  const raw: Database.Database[] = [];
  beforeEach(() => {
    dir = tempDir();
    file = path.join(dir, 'agora.db');
  });
  afterEach(() => {
    open.splice(0).forEach((s) => s.close());
    raw.splice(0).forEach((db) => db.close());
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const openStore = (f = file, busyTimeoutMs?: number): Store => {
    const s = openSqliteStore(f, { busyTimeoutMs });
    open.push(s);
    return s;
  };
  const openRaw = (): Database.Database => {
    const db = new Database(file);
    raw.push(db);
    return db;
  };
  const mode = (f: string): number => fs.statSync(f).mode & 0o777;

  it.runIf(process.platform !== 'win32')('creates the database, its -wal and -shm owner-only (0600)', () => {
    openStore().spaces.put(space(1));
    expect(mode(file)).toBe(0o600);
    for (const suffix of ['-wal', '-shm']) {
      if (fs.existsSync(file + suffix)) expect(mode(file + suffix)).toBe(0o600);
    }
  });

  it.runIf(process.platform !== 'win32')('tightens an existing database file to 0600', () => {
    fs.writeFileSync(file, '', { mode: 0o644 });
    fs.chmodSync(file, 0o644);
    openStore();
    expect(mode(file)).toBe(0o600);
  });

  it('sets user_version to the number of migrations, numbered 1..N', () => {
    openStore().close();
    expect(schemaVersion).toBe(migrations.length);
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1));
    expect(openRaw().pragma('user_version', { simple: true })).toBe(migrations.length);
  });

  it('runs in WAL mode', () => {
    openStore().close();
    const db = openRaw();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('holds the database for itself while open: another connection cannot read it, and can once it is closed', () => {
    const s = openStore();
    s.spaces.put(space(1));
    const other = openRaw();
    other.pragma('busy_timeout = 50');
    expect(() => other.prepare('SELECT count(*) FROM spaces').pluck().get()).toThrow(/locked|busy/i);
    s.close();
    expect(other.prepare('SELECT count(*) FROM spaces').pluck().get()).toBe(1);
  });

  it('refuses a database from a newer Agora, naming the file and the versions', () => {
    openStore().close();
    const db = openRaw();
    db.pragma(`user_version = ${schemaVersion + 1}`);
    db.close();
    const err = expectStoreError(() => openStore());
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/newer version of Agora/);
    expect(err.details).toMatchObject({ version: schemaVersion + 1, known: schemaVersion });
  });

  it('keeps history authors right after a transaction that added an id rolled back (the id is given out again)', () => {
    const s = openStore();
    const item = (path: string, device: string) => ({ path, type: 'file' as const, deleted: false, size: 1, mtimeMs: 1, modifiedBy: device, version: `${device}:1`, signed: true, recordedAt: 1 });
    const [x, y] = ['1'.repeat(64), '2'.repeat(64)];
    expect(() =>
      s.transaction(() => {
        s.fileHistory.append('folder-1', [item('a', x)]);
        throw new Error('disk on fire');
      }),
    ).toThrow('disk on fire');
    s.fileHistory.append('folder-1', [item('b', y)]); // gets the number x had for a moment
    s.fileHistory.append('folder-1', [item('c', x)]);
    expect(s.fileHistory.list('folder-1', { limit: 10 }).map((r) => [r.path, r.modifiedBy, r.version])).toEqual([
      ['c', x, `${x}:1`],
      ['b', y, `${y}:1`],
    ]);
  });

  it('keeps index records under their own device after a write that added an id failed (the id is given out again)', () => {
    const s = openStore();
    s.index.putLocal('folder-1', [own('mine', 1)]);
    const devE = 'e'.repeat(64);
    const byE = (path: string, sequence: number, over: Partial<FileRecord> = {}): FileRecord =>
      fileRecord(path, sequence, { modifiedBy: devE, version: [{ device: devE, value: sequence }], ...over });
    expect(() => s.index.putRemote('folder-1', devE, 'i', [byE('x', 1, { blocks: [{ hash: Buffer.alloc(3), size: 1 }] })])).toThrow(/block hash/);
    s.index.putRemote('folder-1', devB, 'i', [fileRecord('b', 1, { modifiedBy: devB })]); // gets the number devE had for a moment
    s.index.putRemote('folder-1', devE, 'i', [byE('e', 2)]);
    expect(s.index.listRemote('folder-1', devE).map((r) => [r.path, r.modifiedBy, r.version])).toEqual([['e', devE, [{ device: devE, value: 2 }]]]);
    expect(s.index.listRemote('folder-1', devB).map((r) => [r.path, r.modifiedBy])).toEqual([['b', devB]]);
    expect(s.index.remoteDevices('folder-1')).toEqual([devB, devE]);
  });

  it('answers reads of a folder or device it never stored without adding ids', () => {
    const s = openStore();
    expect([s.index.listLocal('nope'), s.index.listRemote('nope', devA), s.index.remoteDevices('nope'), s.index.recordsForPath('nope', 'a', self)]).toEqual([[], [], [], []]);
    expect([s.index.getLocal('nope', 'a'), s.index.getRemote('nope', devA, 'a'), s.index.remoteState('nope', devA), s.index.findBlock('nope', block(1).hash)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([s.index.localSequence('nope'), s.index.localCounts('nope').files, s.index.findBlocks('nope', [block(1).hash]).size]).toEqual([0, 0, 0]);
    s.close();
    expect(openRaw().prepare('SELECT COUNT(*) FROM text_ids').pluck().get()).toBe(0);
  });

  describe('migrate', () => {
    const table = (name: string): Migration['up'] => (db) => db.exec(`CREATE TABLE ${name} (x)`);
    const tables = (db: Database.Database): string[] =>
      db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

    it('applies only the migrations above user_version, in order', () => {
      const db = openRaw();
      migrate(db, file, undefined, [{ version: 1, name: 'a', up: table('a') }]);
      migrate(db, file, undefined, [
        { version: 1, name: 'a', up: table('a') },
        { version: 2, name: 'b', up: table('b') },
        { version: 3, name: 'c', up: table('c') },
      ]);
      expect(tables(db)).toEqual(['a', 'b', 'c']);
      expect(db.pragma('user_version', { simple: true })).toBe(3);
    });

    it('rolls a failing migration back whole and keeps the version before it', () => {
      const db = openRaw();
      const failing: Migration = {
        version: 2,
        name: 'half done',
        up: (d) => {
          d.exec('CREATE TABLE b (x)');
          throw new Error('disk on fire');
        },
      };
      expect(() => migrate(db, file, undefined, [{ version: 1, name: 'a', up: table('a') }, failing])).toThrow('disk on fire');
      expect(tables(db)).toEqual(['a']);
      expect(db.pragma('user_version', { simple: true })).toBe(1);
    });

    it('upgrades a version-4 database to chat (5), keeping what it held', () => {
      const db = openRaw();
      migrate(db, file, undefined, migrations.slice(0, 4));
      db.prepare('INSERT INTO spaces (space_id, name, dir, secret, joined_at) VALUES (?, ?, ?, ?, ?)').run('space-1', 'Space 1', '/s', Buffer.alloc(32, 1), 1);
      db.close();
      const s = openStore();
      expect(s.spaces.get('space-1')?.name).toBe('Space 1');
      expect(s.chat.sequence('space-1')).toBe(0);
      expect(s.chat.logId('space-1', 'log-1')).toBe('log-1');
      s.close();
      expect(openRaw().pragma('user_version', { simple: true })).toBe(schemaVersion);
    });

    it('upgrades a version-7 database to file history with ids as integers (8), keeping every row, its seq and the counter', () => {
      const db = openRaw();
      migrate(db, file, undefined, migrations.slice(0, 7));
      const d = 'd'.repeat(64);
      const e = 'e'.repeat(64);
      const add = db.prepare(
        'INSERT INTO file_history (seq, folder_id, path, version, type, deleted, size, mtime_ms, modified_by, signed, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      add.run(3, 'folder-1', 'a.txt', `${d}:1`, 'file', 0, 10, 1000, d, 1, 5000);
      add.run(5, 'folder-1', 'a.txt', `${d}:1,${e}:2`, 'file', 0, 12, 1001, e, 0, 5001);
      add.run(6, 'folder-2', 'dir', `${e}:1`, 'dir', 1, 0, 1002, e, 1, 5002);
      add.run(9, 'folder-2', 'gone', `${e}:2`, 'file', 0, 1, 1003, e, 1, 5003);
      db.prepare("DELETE FROM file_history WHERE seq = 9").run(); // the newest row went: its seq must not come back
      db.close();
      const s = openStore();
      expect(s.fileHistory.list('folder-1', { limit: 10 })).toEqual([
        { seq: 5, path: 'a.txt', type: 'file', deleted: false, size: 12, mtimeMs: 1001, modifiedBy: e, version: `${d}:1,${e}:2`, signed: false, recordedAt: 5001 },
        { seq: 3, path: 'a.txt', type: 'file', deleted: false, size: 10, mtimeMs: 1000, modifiedBy: d, version: `${d}:1`, signed: true, recordedAt: 5000 },
      ]);
      expect(s.fileHistory.list('folder-2', { limit: 10 })).toMatchObject([{ seq: 6, path: 'dir', type: 'dir', deleted: true, version: `${e}:1` }]);
      expect([s.fileHistory.has('folder-1', 'a.txt', `${d}:1,${e}:2`), s.fileHistory.has('folder-1', 'a.txt', `${e}:2`), s.fileHistory.has('folder-3', 'a.txt', `${d}:1`)]).toEqual([true, false, false]);
      s.fileHistory.append('folder-1', [{ path: 'b.txt', type: 'file', deleted: false, size: 1, mtimeMs: 1, modifiedBy: 'f'.repeat(64), version: `${'f'.repeat(64)}:1`, signed: true, recordedAt: 6000 }]);
      expect(s.fileHistory.list('folder-1', { limit: 1 })[0]).toMatchObject({ seq: 10, path: 'b.txt', modifiedBy: 'f'.repeat(64) });
      s.close();
      const raw = openRaw();
      expect(raw.prepare('SELECT COUNT(*) FROM text_ids').pluck().get()).toBe(5); // 2 folders, 3 devices
      expect(raw.prepare("SELECT version FROM file_history WHERE seq = 5").pluck().get()).toMatch(/^\d+:1,\d+:2$/);
    });

    it('upgrades a version-8 database to index records with ids as integers (9), keeping every record, file id and block', () => {
      const db = openRaw();
      migrate(db, file, undefined, migrations.slice(0, 8));
      const json = (r: { version: readonly { device: string; value: number }[] }): string => JSON.stringify(r.version.map((c) => [c.device, c.value]));
      const blocks = (r: { blocks: readonly { hash: Buffer; size: number }[] }): Buffer =>
        Buffer.concat(r.blocks.flatMap((b) => [b.hash, Buffer.from([0, 0, b.size >> 8, b.size & 255])]));
      const mine = [own('a.txt', 3), own('dir', 4, { type: 'dir', blocks: [], size: 0 }), own('gone', 6, { deleted: true, blocks: [], at: [] })];
      const addLocal = db.prepare(
        `INSERT INTO local_files (file_id, folder_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, inode, stat_mtime_ms, version, blocks, sig, at)
         VALUES (?, 'folder-1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      mine.forEach((r, i) =>
        addLocal.run(10 + i, r.path, r.sequence, r.type, r.size, r.mtimeMs, r.mode, r.deleted ? 1 : 0, r.modifiedBy, r.local.inode, r.local.statMtimeMs, json(r), blocks(r), r.sig, r.at.join(',')),
      );
      db.prepare('INSERT INTO blocks (file_id, offset, size, hash) VALUES (10, 0, 1000, ?), (10, 1000, 2000, ?)').run(mine[0]!.blocks[0]!.hash, mine[0]!.blocks[1]!.hash);
      const theirs = { [devA]: [fileRecord('a.txt', 7), fileRecord('b.txt', 9)], [devB]: [fileRecord('a.txt', 2, { modifiedBy: devB, version: [{ device: devB, value: 2 }] })] };
      const addRemote = db.prepare(
        `INSERT INTO remote_files (folder_id, device_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, version, blocks, sig, at)
         VALUES ('folder-1', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const [device, records] of Object.entries(theirs)) {
        for (const r of records) addRemote.run(device, r.path, r.sequence, r.type, r.size, r.mtimeMs, r.mode, r.deleted ? 1 : 0, r.modifiedBy, json(r), blocks(r), r.sig, r.at.join(','));
        db.prepare("INSERT INTO remote_index (folder_id, device_id, index_id, max_seq) VALUES ('folder-1', ?, ?, ?)").run(device, `index-${device.slice(0, 1)}`, records.at(-1)!.sequence);
      }
      db.close();
      const s = openStore();
      expect(s.index.listLocal('folder-1')).toEqual(mine);
      expect(s.index.listRemote('folder-1', devA)).toEqual(theirs[devA]);
      expect(s.index.remoteDevices('folder-1')).toEqual([devA, devB]);
      expect(s.index.remoteState('folder-1', devB)).toEqual({ indexId: 'index-b', maxSequence: 2 });
      expect(s.index.recordsForPath('folder-1', 'a.txt', self).map((r) => [r.deviceId, r.record.sequence])).toEqual([
        [devA, 7],
        [devB, 2],
        [self, 3],
      ]);
      expect(s.index.findBlock('folder-1', mine[0]!.blocks[1]!.hash)).toEqual({ path: 'a.txt', offset: 1000, size: 2000 });
      expect(s.index.localSince('folder-1', 3, 10).map((r) => r.path)).toEqual(['dir', 'gone']);
      // A file id is kept, so its blocks still belong to it when it changes.
      s.index.putLocal('folder-1', [own('a.txt', 8, { blocks: [block(40)] })]);
      expect(s.index.findBlock('folder-1', mine[0]!.blocks[1]!.hash)).toBeUndefined();
      s.close();
      const raw = openRaw();
      expect(raw.prepare("SELECT file_id FROM local_files WHERE path = 'a.txt'").pluck().get()).toBe(10);
      expect(raw.prepare("SELECT typeof(folder) || ' ' || typeof(author) || ' ' || version FROM local_files WHERE path = 'dir'").pluck().get()).toMatch(/^integer integer \d+:4,\d+:2$/);
      expect(raw.prepare("SELECT COUNT(*) FROM text_ids").pluck().get()).toBe(6); // the folder, 3 devices, 2 log entries
      expect(raw.prepare("SELECT sql FROM sqlite_master WHERE name = 'remote_files'").pluck().get()).toMatch(/WITHOUT ROWID/);
    });

    it('upgrades a version-6 database to log points (7): index rows from before have none, and keep the rest', () => {
      const db = openRaw();
      migrate(db, file, undefined, migrations.slice(0, 6));
      const row = ['folder-1', 'a.txt', 3, 'file', 0, 1000, 420, 0, 'd'.repeat(64), '[]', Buffer.alloc(0), Buffer.alloc(64, 5)];
      db.prepare('INSERT INTO local_files (folder_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, version, blocks, sig, inode, stat_mtime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 1000)').run(...row);
      db.prepare('INSERT INTO remote_files (folder_id, device_id, path, seq, type, size, mtime_ms, mode, deleted, modified_by, version, blocks, sig) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)').run(row[0], 'e'.repeat(64), ...row.slice(1));
      db.prepare('INSERT INTO remote_index (folder_id, device_id, index_id, max_seq) VALUES (?, ?, ?, ?)').run('folder-1', 'e'.repeat(64), 'i'.repeat(32), 3);
      db.close();
      const s = openStore();
      expect(s.index.getLocal('folder-1', 'a.txt')).toMatchObject({ sequence: 3, modifiedBy: 'd'.repeat(64), sig: Buffer.alloc(64, 5), at: [] });
      expect(s.index.listRemote('folder-1', 'e'.repeat(64))).toMatchObject([{ path: 'a.txt', sequence: 3, at: [] }]);
      // A record written now keeps its point.
      const at = ['1'.repeat(64), '2'.repeat(64)];
      s.index.putRemote('folder-1', 'e'.repeat(64), 'i'.repeat(32), [{ ...s.index.listRemote('folder-1', 'e'.repeat(64))[0]!, sequence: 4, at }]);
      expect(s.index.getRemote('folder-1', 'e'.repeat(64), 'a.txt')?.at).toEqual(at);
    });

    it('rejects a list with a gap', () => {
      expect(() => migrate(openRaw(), file, undefined, [{ version: 2, name: 'b', up: table('b') }])).toThrow(/expected 1/);
    });
  });

  it('refuses a database held in exclusive use by another connection', () => {
    openStore().close();
    const other = openRaw();
    other.pragma('locking_mode = EXCLUSIVE');
    other.exec('BEGIN EXCLUSIVE; COMMIT');
    const err = expectStoreError(() => openStore(file, 50));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/locked by another process/);
  });

  it('reports a file that is not a database as corrupt', () => {
    fs.writeFileSync(file, 'this is not a database, '.repeat(200));
    const err = expectStoreError(() => openStore());
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/corrupt/);
  });

  it('reports a missing directory', () => {
    const err = expectStoreError(() => openStore(path.join(dir, 'missing', 'agora.db')));
    expect(err.message).toMatch(/directory/);
  });

  it('opens an in-memory database for throw-away use', () => {
    const s = openStore(':memory:');
    s.spaces.put(space(1));
    expect(s.spaces.get('space-1')).toEqual(space(1));
  });
});

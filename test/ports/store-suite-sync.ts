/** Store port suite, part: the folders and the sync index (own records, peers' records). */
import { describe, expect, it } from 'vitest';
import type { FolderRecord, Store } from '../../src/ports/store.js';
import type { BlockRef, FileRecord, LocalFileRecord } from '../../src/protocol/index.js';

export const devA = 'a'.repeat(64);
export const devB = 'b'.repeat(64);
/** Sorts between the two peers, so recordsForPath must place the own record among them. */
export const self = 'c'.repeat(64);
export const devD = 'd'.repeat(64);

export const folder = (n: number, over: Partial<FolderRecord> = {}): FolderRecord => ({
  folderId: `folder-${n}`,
  spaceId: 'space-1',
  name: `Folder ${n}`,
  path: `/home/ana/Agora/Space 1/Folder ${n}`,
  state: 'syncing',
  indexId: n.toString(16).padStart(32, '0'),
  createdAt: 1_700_000_000_000 + n,
  ...over,
});

export const block = (n: number, size = 1000): BlockRef => ({ hash: Buffer.alloc(32, n), size });
export const hex = (n: number): string => Buffer.alloc(32, n).toString('hex');

export const file = (path: string, sequence: number, over: Partial<FileRecord> = {}): FileRecord => ({
  path,
  type: 'file',
  size: 3000,
  mtimeMs: 1_700_000_000_000 + sequence,
  mode: 0o644,
  deleted: false,
  version: [
    { device: devA, value: sequence },
    { device: self, value: 2 },
  ],
  modifiedBy: devA,
  sequence,
  blocks: [block(sequence % 250, 1000), block(250, 2000)],
  sig: Buffer.alloc(64, sequence % 256),
  at: sequence % 3 === 0 ? [hex(7), hex(9)] : [hex(7)],
  ...over,
});

export const own = (path: string, sequence: number, over: Partial<LocalFileRecord> = {}): LocalFileRecord => ({
  ...file(path, sequence),
  local: { inode: 100 + sequence, statMtimeMs: 1_700_000_000_000.25 + sequence },
  ...over,
});

export const F = 'folder-1';

export function registerFolderTests(get: () => Store): void {
  describe('folders', () => {
    it.each<[string, FolderRecord]>([
      ['syncing', folder(1)],
      ['paused, unicode path', folder(1, { state: 'paused', path: '/home/zoë/Agora/文件 🚀' })],
      ['stopped', folder(1, { state: 'stopped' })],
    ])('put then get round-trips: %s', (_label, f) => {
      get().folders.put(f);
      expect(get().folders.get('folder-1')).toEqual(f);
      expect(get().folders.get('folder-9')).toBeUndefined();
    });

    it('put of an existing id replaces it', () => {
      const s = get();
      s.folders.put(folder(1));
      s.folders.put(folder(1, { name: 'Renamed', state: 'paused', indexId: 'f'.repeat(32) }));
      expect(s.folders.list()).toEqual([folder(1, { name: 'Renamed', state: 'paused', indexId: 'f'.repeat(32) })]);
    });

    it('list is ordered by createdAt, then id, and filters by space', () => {
      const s = get();
      s.folders.put(folder(3, { createdAt: 10 }));
      s.folders.put(folder(2, { createdAt: 20, spaceId: 'space-2' }));
      s.folders.put(folder(1, { createdAt: 20 }));
      expect(s.folders.list().map((f) => f.folderId)).toEqual(['folder-3', 'folder-1', 'folder-2']);
      expect(s.folders.list('space-1').map((f) => f.folderId)).toEqual(['folder-3', 'folder-1']);
      expect(s.folders.list('space-9')).toEqual([]);
    });

    it('delete forgets the folder with every device\'s index of it, and nothing of other folders', () => {
      const s = get();
      for (const id of ['folder-2', F]) {
        s.folders.put(folder(Number(id.slice(-1))));
        s.index.putLocal(id, [own('a.txt', 1)]);
        s.index.putRemote(id, devA, 'i', [file('a.txt', 7)]);
      }
      s.folders.delete(F);
      s.folders.delete('folder-9');
      expect(s.folders.list().map((f) => f.folderId)).toEqual(['folder-2']);
      expect([s.index.listLocal(F), s.index.listRemote(F, devA), s.index.remoteDevices(F)]).toEqual([[], [], []]);
      expect([s.index.localSequence(F), s.index.remoteState(F, devA), s.index.findBlock(F, block(1).hash)]).toEqual([0, undefined, undefined]);
      expect(s.index.recordsForPath(F, 'a.txt', self)).toEqual([]);
      expect(s.index.listLocal('folder-2')).toEqual([own('a.txt', 1)]);
      expect(s.index.getRemote('folder-2', devA, 'a.txt')).toEqual(file('a.txt', 7));
      expect(s.index.findBlock('folder-2', block(1).hash)).toEqual({ path: 'a.txt', offset: 0, size: 1000 });
      // Nothing of the deleted folder's block finder lingers to be picked up by later records.
      s.index.putLocal('folder-3', [own('new', 5, { blocks: [block(5)] })]);
      expect(s.index.findBlock('folder-3', block(1).hash)).toBeUndefined();
      expect(s.index.findBlock('folder-3', block(250).hash)).toBeUndefined();
    });
  });
}

export function registerIndexTests(get: () => Store): void {
  describe('index: own records', () => {
    it.each<[string, LocalFileRecord]>([
      ['a file of two blocks', own('docs/report.pdf', 1)],
      ['an empty file', own('empty', 2, { size: 0, blocks: [] })],
      ['a directory', own('docs', 3, { type: 'dir', size: 0, mode: 0o755, blocks: [] })],
      ['a tombstone', own('old.txt', 4, { deleted: true, size: 0, blocks: [] })],
      ['big, executable, one counter', own('big.iso', 5, { size: 2 ** 40 + 3, mode: 0o755, version: [{ device: self, value: 2 ** 40 }] })],
      ['unicode path, block of max size', own('Ünïcødé/文件 🚀.txt', 6, { blocks: [block(0, 0xffffffff)] })],
    ])('putLocal then getLocal round-trips %s', (_label, r) => {
      get().index.putLocal(F, [r]);
      expect(get().index.getLocal(F, r.path)).toEqual(r);
      expect(get().index.getLocal(F, 'missing')).toBeUndefined();
      expect(get().index.getLocal('folder-2', r.path)).toBeUndefined();
    });

    it('putLocal upserts by path', () => {
      const s = get();
      s.index.putLocal(F, [own('a', 1), own('b', 2)]);
      s.index.putLocal(F, [own('a', 3, { size: 5, deleted: true, blocks: [] })]);
      expect(s.index.listLocal(F)).toEqual([own('a', 3, { size: 5, deleted: true, blocks: [] }), own('b', 2)]);
    });

    it('listLocal is ordered by path as UTF-8 bytes, whatever the order of puts', () => {
      const paths = ['b', 'a/z', 'a', 'B', 'a b', 'é', '\u{FFFD}', '😀', 'a/b'];
      get().index.putLocal(F, paths.map((p, i) => own(p, i + 1)));
      const sorted = [...paths].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
      expect(get().index.listLocal(F).map((r) => r.path)).toEqual(sorted);
      expect(get().index.listLocal('folder-2')).toEqual([]);
    });

    it('listLocal pages in that order: up to limit records after a path, the same order page by page', () => {
      const paths = ['b', 'a/z', 'a', 'B', 'a b', 'é', '\u{E000}', '\u{FFFD}', '😀', 'a/b'];
      get().index.putLocal(F, paths.map((p, i) => own(p, i + 1)));
      const whole = get().index.listLocal(F).map((r) => r.path);
      const paged: string[] = [];
      let after = '';
      for (let n = 0; n < 20; n++) {
        const page = get().index.listLocal(F, { after, limit: 3 });
        expect(page.length).toBeLessThanOrEqual(3);
        paged.push(...page.map((r) => r.path));
        if (page.length < 3) break;
        after = page[page.length - 1]!.path;
      }
      expect(paged).toEqual(whole);
      expect(get().index.listLocal(F, { after: 'a b', limit: 2 })).toEqual([own('a/b', 10), own('a/z', 2)]);
      expect(get().index.listLocal(F, { after: '😀', limit: 5 })).toEqual([]);
      expect(get().index.listLocal(F, { after: '', limit: 0 })).toEqual([]);
    });

    it('localSince returns announced records after a sequence, by sequence, at most limit', () => {
      const s = get();
      s.index.putLocal(F, [own('c', 3), own('a', 5), own('b', 1), own('d', 4)]);
      s.index.putLocal(F, [own('b', 6)]);
      s.index.putLocal('folder-2', [own('x', 2)]);
      expect(s.index.localSince(F, 0, 100).map((r) => r.path)).toEqual(['c', 'd', 'a', 'b']);
      expect(s.index.localSince(F, 3, 2)).toEqual([file('d', 4), file('a', 5)]);
      expect(s.index.localSince(F, 6, 100)).toEqual([]);
      expect(s.index.localSince(F, 0, 0)).toEqual([]);
      // Announced records only: what stat() said stays on this device.
      expect(s.index.localSince(F, 5, 1)[0]).not.toHaveProperty('local');
    });

    it('localSequence is the highest sequence of the folder, 0 when empty', () => {
      const s = get();
      expect(s.index.localSequence(F)).toBe(0);
      s.index.putLocal(F, [own('a', 7), own('b', 3)]);
      s.index.putLocal('folder-2', [own('a', 50)]);
      expect(s.index.localSequence(F)).toBe(7);
      s.index.putLocal(F, [own('b', 8)]);
      expect(s.index.localSequence(F)).toBe(8);
    });

    it('localCounts counts live files, directories and tombstones, and sums live file sizes', () => {
      const s = get();
      expect(s.index.localCounts(F)).toEqual({ files: 0, dirs: 0, deleted: 0, bytes: 0 });
      s.index.putLocal(F, [
        own('a', 1, { size: 10 }),
        own('b', 2, { size: 2 ** 33 }),
        own('d', 3, { type: 'dir', size: 0, blocks: [] }),
        own('x', 4, { deleted: true, size: 0, blocks: [] }),
        own('y', 5, { type: 'dir', deleted: true, size: 0, blocks: [] }),
      ]);
      s.index.putLocal('folder-2', [own('z', 1)]);
      expect(s.index.localCounts(F)).toEqual({ files: 2, dirs: 1, deleted: 2, bytes: 10 + 2 ** 33 });
    });

    it('refuses a block hash that is not 32 bytes, storing nothing of the batch', () => {
      const s = get();
      const bad = own('bad', 2, { blocks: [{ hash: Buffer.alloc(31), size: 1 }] });
      expect(() => s.index.putLocal(F, [own('good', 1), bad])).toThrow(/32 bytes/);
      expect(() => s.index.putRemote(F, devA, 'i', [file('good', 1), bad])).toThrow(/32 bytes/);
      expect([s.index.listLocal(F), s.index.findBlock(F, block(1).hash), s.index.remoteState(F, devA)]).toEqual([[], undefined, undefined]);
    });
  });

  describe('index: peers\' records', () => {
    it('putRemote then getRemote and listRemote, by path, per device, keeping only announced fields', () => {
      const s = get();
      s.index.putRemote(F, devA, 'i', [file('b', 2), file('a', 1)]);
      s.index.putRemote(F, devB, 'j', [own('a', 9)]);
      s.index.putRemote(F, devA, 'i', [file('a', 3, { deleted: true, blocks: [], size: 0 })]);
      expect(s.index.listRemote(F, devA)).toEqual([file('a', 3, { deleted: true, blocks: [], size: 0 }), file('b', 2)]);
      expect(s.index.getRemote(F, devB, 'a')).toEqual(file('a', 9));
      expect(s.index.getRemote(F, devB, 'b')).toBeUndefined();
      expect(s.index.listRemote(F, devD)).toEqual([]);
      expect(s.index.listRemote('folder-2', devA)).toEqual([]);
    });

    it('listRemote pages one device\'s records by path like listLocal', () => {
      const s = get();
      s.index.putRemote(F, devA, 'i', [file('c', 3), file('a', 1), file('b', 2), file('\u{FFFD}', 4), file('😀', 5)]);
      s.index.putRemote(F, devB, 'j', [file('b', 7)]);
      expect(s.index.listRemote(F, devA, { after: '', limit: 2 })).toEqual([file('a', 1), file('b', 2)]);
      expect(s.index.listRemote(F, devA, { after: 'b', limit: 2 })).toEqual([file('c', 3), file('\u{FFFD}', 4)]);
      expect(s.index.listRemote(F, devA, { after: '\u{FFFD}', limit: 2 })).toEqual([file('😀', 5)]);
      expect(s.index.listRemote(F, devB, { after: 'a', limit: 10 })).toEqual([file('b', 7)]);
      expect(s.index.listRemote(F, devD, { after: '', limit: 10 })).toEqual([]);
    });


    it('remoteSigs gives the signature of each path the device has a record of, and nothing else', () => {
      const s = get();
      s.index.putRemote(F, devA, 'i', [file('a', 1), file('b', 2)]);
      s.index.putRemote(F, devB, 'j', [file('c', 3)]);
      s.index.putRemote(F, devA, 'i', [file('a', 4, { deleted: true, blocks: [], size: 0 })]);
      s.index.putLocal(F, [own('c', 5)]);
      const sigs = s.index.remoteSigs(F, devA, ['a', 'b', 'c', 'missing']);
      expect([...sigs.keys()].sort()).toEqual(['a', 'b']);
      expect(sigs.get('a')).toEqual(file('a', 4).sig);
      expect(sigs.get('b')).toEqual(file('b', 2).sig);
      expect(s.index.remoteSigs(F, devB, ['c']).get('c')).toEqual(file('c', 3).sig);
      expect(s.index.remoteSigs('folder-2', devA, ['a']).size).toBe(0);
      expect(s.index.remoteSigs(F, devA, []).size).toBe(0);
    });
    it('remoteState follows the highest sequence received under one index id; a new id starts over', () => {
      const s = get();
      expect(s.index.remoteState(F, devA)).toBeUndefined();
      s.index.putRemote(F, devA, 'i1', []);
      expect(s.index.remoteState(F, devA)).toEqual({ indexId: 'i1', maxSequence: 0 });
      s.index.putRemote(F, devA, 'i1', [file('a', 5), file('b', 9), file('c', 7)]);
      expect(s.index.remoteState(F, devA)).toEqual({ indexId: 'i1', maxSequence: 9 });
      s.index.putRemote(F, devA, 'i1', [file('a', 4)]);
      expect(s.index.remoteState(F, devA)).toEqual({ indexId: 'i1', maxSequence: 9 });
      s.index.putRemote(F, devA, 'i2', [file('d', 2)]);
      expect(s.index.remoteState(F, devA)).toEqual({ indexId: 'i2', maxSequence: 2 });
      expect(s.index.remoteState(F, devB)).toBeUndefined();
      expect(s.index.remoteState('folder-2', devA)).toBeUndefined();
    });

    it('remoteDevices lists the devices heard from, by id; dropRemote forgets one device only', () => {
      const s = get();
      for (const d of [devD, devA, devB]) s.index.putRemote(F, d, `i-${d[0]}`, [file('a', 1)]);
      s.index.putRemote('folder-2', devA, 'i', [file('a', 1)]);
      expect(s.index.remoteDevices(F)).toEqual([devA, devB, devD]);
      s.index.dropRemote(F, devB);
      s.index.dropRemote(F, 'nobody');
      expect(s.index.remoteDevices(F)).toEqual([devA, devD]);
      expect([s.index.remoteState(F, devB), s.index.getRemote(F, devB, 'a'), s.index.listRemote(F, devB)]).toEqual([undefined, undefined, []]);
      expect(s.index.getRemote(F, devA, 'a')).toEqual(file('a', 1));
      expect(s.index.remoteDevices('folder-2')).toEqual([devA]);
      s.index.putRemote(F, devB, 'i-new', [file('z', 1)]);
      expect(s.index.listRemote(F, devB)).toEqual([file('z', 1)]);
      expect(s.index.remoteState(F, devB)).toEqual({ indexId: 'i-new', maxSequence: 1 });
    });

    it('recordsForPath gives every device\'s record of a path, own under selfId, by device id', () => {
      const s = get();
      s.index.putRemote(F, devD, 'i', [file('p', 4)]);
      s.index.putRemote(F, devA, 'i', [file('p', 1), file('q', 2)]);
      s.index.putRemote(F, devB, 'i', [file('q', 3)]);
      s.index.putLocal(F, [own('p', 8)]);
      s.index.putRemote('folder-2', devB, 'i', [file('p', 9)]);
      expect(s.index.recordsForPath(F, 'p', self)).toEqual([
        { deviceId: devA, record: file('p', 1) },
        { deviceId: self, record: file('p', 8) },
        { deviceId: devD, record: file('p', 4) },
      ]);
      expect(s.index.recordsForPath(F, 'q', self).map((r) => r.deviceId)).toEqual([devA, devB]);
      expect(s.index.recordsForPath(F, 'r', self)).toEqual([]);
      s.index.dropRemote(F, devA);
      expect(s.index.recordsForPath(F, 'p', '0').map((r) => r.deviceId)).toEqual(['0', devD]);
    });
  });
}

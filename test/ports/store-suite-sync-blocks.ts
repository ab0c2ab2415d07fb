/** Store port suite, part: the sync index's block finder, its records as values, and its rollback. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { block, devA, devB, devD, F, file, folder, hex, own, self } from './store-suite-sync.js';

export function registerBlockTests(get: () => Store): void {
  describe('index: block finder', () => {
    it('finds this device\'s blocks with their offsets, in this folder only', () => {
      const s = get();
      s.index.putLocal(F, [own('f', 1, { blocks: [block(1, 100), block(2, 50), block(3, 7)] })]);
      s.index.putLocal('folder-2', [own('g', 1, { blocks: [block(4, 9)] })]);
      s.index.putRemote(F, devA, 'i', [file('r', 1, { blocks: [block(5)] })]);
      expect(s.index.findBlock(F, block(1).hash)).toEqual({ path: 'f', offset: 0, size: 100 });
      expect(s.index.findBlock(F, block(3).hash)).toEqual({ path: 'f', offset: 150, size: 7 });
      expect(s.index.findBlock(F, block(4).hash)).toBeUndefined();
      // Peers' blocks are not on this disk.
      expect(s.index.findBlock(F, block(5).hash)).toBeUndefined();
    });

    it('forgets a path\'s blocks when its record is replaced, deleted or becomes a directory', () => {
      const s = get();
      s.index.putLocal(F, [own('f', 1, { blocks: [block(1), block(2)] }), own('g', 2, { blocks: [block(3)] }), own('h', 3, { blocks: [block(4)] })]);
      s.index.putLocal(F, [
        own('f', 4, { blocks: [block(2), block(5)] }),
        own('g', 5, { deleted: true, blocks: [block(3)] }),
        own('h', 6, { type: 'dir', blocks: [block(4)] }),
      ]);
      expect(s.index.findBlock(F, block(1).hash)).toBeUndefined();
      expect(s.index.findBlock(F, block(2).hash)).toEqual({ path: 'f', offset: 0, size: 1000 });
      expect(s.index.findBlock(F, block(5).hash)).toEqual({ path: 'f', offset: 1000, size: 1000 });
      expect([s.index.findBlock(F, block(3).hash), s.index.findBlock(F, block(4).hash)]).toEqual([undefined, undefined]);
      s.index.putLocal(F, [own('g', 7, { blocks: [block(3)] })]);
      expect(s.index.findBlock(F, block(3).hash)).toEqual({ path: 'g', offset: 0, size: 1000 });
    });

    it('a block held in several places is found at the first, by path then offset', () => {
      const s = get();
      s.index.putLocal(F, [
        own('b', 1, { blocks: [block(9), block(1), block(1)] }),
        own('a/x', 2, { blocks: [block(8), block(1)] }),
        own('c', 3, { blocks: [block(1)] }),
      ]);
      expect(s.index.findBlock(F, block(1).hash)).toEqual({ path: 'a/x', offset: 1000, size: 1000 });
      s.index.putLocal(F, [own('a/x', 4, { deleted: true, blocks: [] })]);
      expect(s.index.findBlock(F, block(1).hash)).toEqual({ path: 'b', offset: 1000, size: 1000 });
      expect(s.index.findBlocks(F, [block(1).hash]).get(hex(1))).toEqual({ path: 'b', offset: 1000, size: 1000 });
    });

    it('findBlocks answers many hashes at once, keyed by hex, leaving out the missing', () => {
      const s = get();
      const records = Array.from({ length: 200 }, (_, i) => own(`dir/${String(i).padStart(3, '0')}`, i + 1, { blocks: [block(i), block(200 + (i % 50))] }));
      s.index.putLocal(F, records);
      const wanted = [...Array.from({ length: 250 }, (_, i) => block(i).hash), block(3).hash, block(255).hash];
      const found = s.index.findBlocks(F, wanted);
      expect(found.size).toBe(250);
      expect(found.get(hex(3))).toEqual({ path: 'dir/003', offset: 0, size: 1000 });
      expect(found.get(hex(249))).toEqual({ path: 'dir/049', offset: 1000, size: 1000 });
      expect(found.has(hex(255))).toBe(false);
      expect(s.index.findBlocks(F, []).size).toBe(0);
      expect(s.index.findBlocks('folder-2', wanted).size).toBe(0);
    });
  });
}

export function registerIndexValueTests(get: () => Store): void {
  describe('index: values and transactions', () => {
    it('changing a record after put, or one that was returned, does not change what is stored', () => {
      const s = get();
      const mine = own('a', 1);
      const theirs = file('a', 2);
      const f = folder(1);
      s.index.putLocal(F, [mine]);
      s.index.putRemote(F, devA, 'i', [theirs]);
      s.folders.put(f);
      for (const r of [mine, theirs, s.index.getLocal(F, 'a'), s.index.listRemote(F, devA)[0], s.index.localSince(F, 0, 1)[0]]) {
        r?.blocks[0]?.hash.fill(7);
        r?.blocks.push(block(9));
        r?.version.push({ device: devD, value: 1 });
        if (r?.version[0]) r.version[0].value = 99;
      }
      mine.local.inode = 0;
      const got = s.index.getLocal(F, 'a');
      if (got) got.local.statMtimeMs = 0;
      const rec = s.index.recordsForPath(F, 'a', self)[0]?.record;
      rec?.blocks[0]?.hash.fill(7);
      const place = s.index.findBlock(F, block(1).hash);
      if (place) place.offset = 5;
      const places = s.index.findBlocks(F, [block(1).hash]);
      const first = places.get(hex(1));
      if (first) first.size = 0;
      places.clear();
      const state = s.index.remoteState(F, devA);
      if (state) state.maxSequence = 0;
      f.name = 'changed';
      const gotFolder = s.folders.get('folder-1');
      if (gotFolder) gotFolder.state = 'stopped';

      expect(s.index.getLocal(F, 'a')).toEqual(own('a', 1));
      expect(s.index.getRemote(F, devA, 'a')).toEqual(file('a', 2));
      expect(s.index.findBlocks(F, [block(1).hash])).toEqual(new Map([[hex(1), { path: 'a', offset: 0, size: 1000 }]]));
      expect(s.index.remoteState(F, devA)).toEqual({ indexId: 'i', maxSequence: 2 });
      expect(s.folders.list()).toEqual([folder(1)]);
    });

    // Each case writes inside a transaction that throws; afterwards `check` must see the state before.
    const cases: [string, (s: Store) => void][] = [
      ['putLocal (new and replacing)', (s) => s.index.putLocal(F, [own('a', 5, { blocks: [block(7)] }), own('n', 6, { blocks: [block(8)] })])],
      ['putLocal (tombstone)', (s) => s.index.putLocal(F, [own('a', 5, { deleted: true, blocks: [] })])],
      ['putRemote (same and new index id)', (s) => {
        s.index.putRemote(F, devA, 'i', [file('a', 9), file('n', 10)]);
        s.index.putRemote(F, devB, 'j', [file('a', 1)]);
        s.index.putRemote(F, devA, 'i2', []);
      }],
      ['dropRemote', (s) => s.index.dropRemote(F, devA)],
      ['folders.delete with cascade', (s) => s.folders.delete(F)],
      ['folders.put', (s) => s.folders.put(folder(1, { name: 'x' }))],
    ];
    it.each(cases)('rolls back %s', (_label, write) => {
      const s = get();
      s.folders.put(folder(1));
      s.index.putLocal(F, [own('a', 1, { blocks: [block(1)] }), own('b', 2, { blocks: [block(2)] })]);
      s.index.putRemote(F, devA, 'i', [file('a', 3)]);
      const before = snapshot(s);
      expect(() =>
        s.transaction(() => {
          write(s);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(snapshot(s)).toEqual(before);
      // The store still works normally after the rollback.
      s.index.putLocal(F, [own('a', 11, { blocks: [block(7)] })]);
      expect(s.index.findBlock(F, block(7).hash)).toEqual({ path: 'a', offset: 0, size: 1000 });
      expect(s.index.findBlock(F, block(1).hash)).toBeUndefined();
    });
  });
}

/** Everything observable about folder F, to compare before and after a rolled-back write. */
export function snapshot(s: Store): unknown {
  return {
    folders: s.folders.list(),
    local: s.index.listLocal(F),
    sequence: s.index.localSequence(F),
    counts: s.index.localCounts(F),
    devices: s.index.remoteDevices(F),
    remote: [...new Set([devA, devB, ...s.index.remoteDevices(F)])].map((d) => [s.index.listRemote(F, d), s.index.remoteState(F, d)]),
    paths: ['a', 'b', 'c', 'd', 'n'].map((p) => s.index.recordsForPath(F, p, self)),
    blocks: [...s.index.findBlocks(F, [1, 2, 7, 8].map((n) => block(n).hash))],
  };
}

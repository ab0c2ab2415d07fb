/** Store port suite, part: the file history (every version of every path a device took in). */
import { describe, expect, it } from 'vitest';
import type { FileHistoryItem, FileHistoryRow } from '../../src/ports/store.js';
import type { StoreFixture } from './store-suite-fixtures.js';
import { devA, devB, folder, own } from './store-suite-sync.js';

const F1 = 'folder-1';
const F2 = 'folder-2';

/** The n-th version of a path, made by `by`. */
export const change = (path: string, n: number, over: Partial<FileHistoryItem> = {}): FileHistoryItem => ({
  path,
  type: 'file',
  deleted: false,
  size: 100 * n,
  mtimeMs: 1_700_000_000_000 + n,
  modifiedBy: devA,
  version: `${devA}:${n},${devB}:1`,
  signed: true,
  recordedAt: 1_700_000_100_000 + n,
  ...over,
});

/** A row without its seq, to compare with what was appended. */
const item = ({ seq: _seq, ...rest }: FileHistoryRow): FileHistoryItem => rest;

export function registerHistoryTests(get: () => StoreFixture): void {
  describe('file history', () => {
    const h = () => get().store.fileHistory;

    it('append then list round-trips every field, newest first', () => {
      const items = [
        change('a.txt', 1),
        change('a.txt', 2, { modifiedBy: devB, signed: false }),
        change('dir', 3, { type: 'dir', size: 0 }),
        change('a.txt', 4, { deleted: true, size: 0 }),
        change('zoë/文件 🚀.txt', 5),
      ];
      expect(h().append(F1, items)).toBe(5);
      const rows = h().list(F1, { limit: 100 });
      expect(rows.map(item)).toEqual([...items].reverse());
      expect(h().count(F1)).toBe(5);
      expect(h().list('folder-9', { limit: 100 })).toEqual([]);
      expect(h().count('folder-9')).toBe(0);
    });

    it('seq increases with every row, across folders and calls', () => {
      h().append(F1, [change('a', 1), change('b', 1)]);
      h().append(F2, [change('c', 1)]);
      h().append(F1, [change('a', 2)]);
      const f1 = h().list(F1, { limit: 10 }).map((r) => r.seq);
      const [f2] = h().list(F2, { limit: 10 }).map((r) => r.seq);
      expect(f1).toHaveLength(3);
      expect(f1[0]! > f2! && f2! > f1[1]! && f1[1]! > f1[2]!).toBe(true);
      expect(h().list(F1, { limit: 10 }).map((r) => [r.path, r.version])).toEqual([
        ['a', change('a', 2).version],
        ['b', change('b', 1).version],
        ['a', change('a', 1).version],
      ]);
    });

    it('records a (folder, path, version) once: the first sighting is kept, however often it is announced', () => {
      expect(h().append(F1, [change('a', 1, { recordedAt: 1 })])).toBe(1);
      expect(h().append(F1, [change('a', 1, { recordedAt: 2, modifiedBy: devB }), change('a', 2)])).toBe(1);
      // Twice in one call, too.
      expect(h().append(F1, [change('b', 1), change('b', 1, { recordedAt: 9 })])).toBe(1);
      // The same version of another path, or of the same path in another folder, is another row.
      expect(h().append(F1, [change('c', 1)])).toBe(1);
      expect(h().append(F2, [change('a', 1)])).toBe(1);
      expect(h().list(F1, { limit: 10 }).map((r) => [r.path, r.version === change('a', 2).version ? 2 : 1, r.recordedAt])).toEqual([
        ['c', 1, change('c', 1).recordedAt],
        ['b', 1, change('b', 1).recordedAt],
        ['a', 2, change('a', 2).recordedAt],
        ['a', 1, 1],
      ]);
      expect(h().list(F1, { limit: 10 }).find((r) => r.path === 'a' && r.recordedAt === 1)?.modifiedBy).toBe(devA);
      expect([h().has(F1, 'a', change('a', 1).version), h().has(F1, 'a', change('a', 3).version), h().has(F2, 'b', change('b', 1).version)]).toEqual([true, false, false]);
      expect(h().append(F1, [])).toBe(0);
    });

    it('pages with limit and before', () => {
      h().append(F1, Array.from({ length: 10 }, (_, i) => change('p', i + 1)));
      const all = h().list(F1, { limit: 100 });
      expect(all.map((r) => r.size)).toEqual([1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]);
      const first = h().list(F1, { limit: 4 });
      expect(first.map((r) => r.size)).toEqual([1000, 900, 800, 700]);
      const second = h().list(F1, { limit: 4, before: first[first.length - 1]!.seq });
      expect(second.map((r) => r.size)).toEqual([600, 500, 400, 300]);
      const last = h().list(F1, { limit: 4, before: second[second.length - 1]!.seq });
      expect(last.map((r) => r.size)).toEqual([200, 100]);
      expect(h().list(F1, { limit: 4, before: last[last.length - 1]!.seq })).toEqual([]);
      expect(h().list(F1, { limit: 0 })).toEqual([]);
      expect(h().list(F1, { limit: Infinity })).toHaveLength(10);
    });

    it('prune keeps the newest rows of one folder; a pruned version can be recorded again, with a new seq', () => {
      h().append(F1, Array.from({ length: 10 }, (_, i) => change('p', i + 1)));
      h().append(F2, [change('q', 1), change('q', 2)]);
      const newest = h().list(F1, { limit: 1 })[0]!.seq;
      expect(h().prune(F1, 3)).toBe(7);
      expect(h().list(F1, { limit: 100 }).map((r) => r.size)).toEqual([1000, 900, 800]);
      expect(h().count(F1)).toBe(3);
      expect(h().count(F2)).toBe(2);
      expect(h().prune(F1, 3)).toBe(0);
      expect(h().prune(F1, 10)).toBe(0);
      expect(h().prune('folder-9', 1)).toBe(0);
      expect(h().has(F1, 'p', change('p', 1).version)).toBe(false);
      expect(h().append(F1, [change('p', 1)])).toBe(1);
      expect(h().list(F1, { limit: 1 })[0]!.seq).toBeGreaterThan(newest);
      expect(h().prune(F1, 0)).toBe(4);
      expect(h().count(F1)).toBe(0);
    });

    it('a rolled-back transaction leaves no rows, and an undone prune brings them back', () => {
      const s = get().store;
      h().append(F1, [change('a', 1), change('a', 2)]);
      const before = h().list(F1, { limit: 10 });
      expect(() =>
        s.transaction(() => {
          h().append(F1, [change('a', 3)]);
          h().prune(F1, 1);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(h().list(F1, { limit: 10 })).toEqual(before);
      expect(h().has(F1, 'a', change('a', 3).version)).toBe(false);
      expect(h().has(F1, 'a', change('a', 1).version)).toBe(true);
    });

    it('goes with its folder, and only with it', () => {
      const s = get().store;
      s.folders.put(folder(1));
      s.folders.put(folder(2));
      s.index.putLocal(F1, [own('a', 1)]);
      h().append(F1, [change('a', 1)]);
      h().append(F2, [change('b', 1)]);
      s.folders.delete(F1);
      expect(h().count(F1)).toBe(0);
      expect(h().has(F1, 'a', change('a', 1).version)).toBe(false);
      expect(h().count(F2)).toBe(1);
      // Forgetting a peer's index keeps the history: it is what this device saw, not what peers hold.
      s.index.putRemote(F2, devA, 'idx', []);
      s.index.dropRemote(F2, devA);
      expect(h().count(F2)).toBe(1);
    });

    it('survives a reopen and continues the order after it', (ctx) => {
      const fx = get();
      if (!fx.reopen) return ctx.skip();
      fx.store.fileHistory.append(F1, [change('a', 1), change('a', 2, { signed: false, deleted: true, size: 0 })]);
      fx.store.fileHistory.prune(F1, 1);
      const before = fx.store.fileHistory.list(F1, { limit: 10 });
      const s = fx.reopen();
      expect(s.fileHistory.list(F1, { limit: 10 })).toEqual(before);
      expect(s.fileHistory.append(F1, [change('a', 2)])).toBe(0);
      expect(s.fileHistory.append(F1, [change('a', 3)])).toBe(1);
      const rows = s.fileHistory.list(F1, { limit: 10 });
      expect(rows.map((r) => r.size)).toEqual([300, 0]);
      expect(rows[0]!.seq).toBeGreaterThan(before[0]!.seq);
    });
  });
}

import { describe, expect, it } from 'vitest';
import { GlobalView, refusalMessage, type Authority } from '../../src/core/sync/global-view.js';
import type { FileRecord } from '../../src/protocol/index.js';

const SELF = 'a'.repeat(64);
const WRITER = 'b'.repeat(64);
const READER = 'c'.repeat(64);
/** Log points: before the reader got write access, after it, and one this device has not reached. */
const BEFORE = '1'.repeat(64);
const AFTER = '2'.repeat(64);
const UNKNOWN = '3'.repeat(64);

function rec(by: string, value: number, at: string[], patch: Partial<FileRecord> = {}): FileRecord {
  return {
    path: 'f.txt', type: 'file', size: 1, mtimeMs: 1000 + value, mode: 0o644, deleted: false,
    version: [{ device: by, value }], modifiedBy: by, sequence: value,
    blocks: [{ hash: Buffer.alloc(32, value), size: 1 }], sig: Buffer.alloc(64), at, ...patch,
  };
}

/** Everyone but the reader may write now; at BEFORE the reader could not, at AFTER it could; UNKNOWN is not in the log yet. */
function authority(readerWritesNow: boolean): Authority & { asked: number } {
  const auth = {
    asked: 0,
    selfWrites: true,
    mayWrite: (d: string) => d !== READER || readerWritesNow,
    wroteAt: (r: FileRecord) => {
      auth.asked++;
      if (r.at.includes(UNKNOWN)) return undefined;
      return r.modifiedBy !== READER || r.at.includes(AFTER);
    },
  };
  return auth;
}

describe('global view: a version counts only if its author could write when it made it', () => {
  const base = rec(WRITER, 1, [BEFORE]);

  it('a version made before its author could write never wins, even once it may; it is reported under its author', () => {
    const view = new GlobalView();
    const early = rec(READER, 5, [BEFORE], { version: [{ device: WRITER, value: 1 }, { device: READER, value: 5 }] });
    const records = [{ deviceId: SELF, record: base }, { deviceId: READER, record: early }];
    view.update('f.txt', SELF, records, [READER], false, authority(true));
    expect(view.need('f.txt')).toBeUndefined();
    expect(view.refusedChanges()).toEqual([{ deviceId: READER, paths: 1, reason: 'then' }]);
    expect(refusalMessage(view.refusedChanges()[0]!)).toBe(`1 change(s) made by device ${READER.slice(0, 12)} ignored: it could not write this folder when it made them`);
    // Relayed by a writer, it is still the reader's version made before it could write.
    view.update('f.txt', SELF, [{ deviceId: SELF, record: base }, { deviceId: WRITER, record: early }], [WRITER], false, authority(true));
    expect(view.need('f.txt')).toBeUndefined();
    expect(view.refusedChanges()).toEqual([{ deviceId: READER, paths: 1, reason: 'then' }]);
  });

  it('while the author may not write now, the refusal says so, as before', () => {
    const view = new GlobalView();
    const early = rec(READER, 5, [BEFORE], { version: [{ device: WRITER, value: 1 }, { device: READER, value: 5 }] });
    view.update('f.txt', SELF, [{ deviceId: SELF, record: base }, { deviceId: READER, record: early }], [READER], false, authority(false));
    expect(view.refusedChanges()).toEqual([{ deviceId: READER, paths: 1, reason: 'now' }]);
    expect(refusalMessage(view.refusedChanges()[0]!)).toMatch(/ignored: it may not write this folder$/);
  });

  it('a version made after the grant wins', () => {
    const view = new GlobalView();
    const later = rec(READER, 6, [AFTER], { version: [{ device: WRITER, value: 1 }, { device: READER, value: 6 }] });
    view.update('f.txt', SELF, [{ deviceId: SELF, record: base }, { deviceId: READER, record: later }], [READER], false, authority(true));
    expect(view.need('f.txt')?.action).toMatchObject({ kind: 'apply', winner: later });
    expect(view.refusedChanges()).toEqual([]);
  });

  it('a version whose log point is not here yet waits, unreported, and counts once the point is known', () => {
    const view = new GlobalView();
    const pending = rec(WRITER, 2, [AFTER, UNKNOWN]);
    const records = [{ deviceId: SELF, record: base }, { deviceId: WRITER, record: pending }];
    view.update('f.txt', SELF, records, [WRITER], false, authority(true));
    expect(view.need('f.txt')).toBeUndefined();
    expect(view.refusedChanges()).toEqual([]);
    expect(view.waitingPaths()).toEqual(['f.txt']);
    const known = { ...authority(true), wroteAt: () => true };
    view.update('f.txt', SELF, records, [WRITER], false, known);
    expect(view.need('f.txt')?.action).toMatchObject({ kind: 'apply', winner: pending });
    expect(view.waitingPaths()).toEqual([]);
  });

  it('this device\'s own record always counts, and a record of a device that may not write is not judged at its point', () => {
    const view = new GlobalView();
    const auth = authority(false);
    const early = rec(READER, 5, [BEFORE]);
    view.update('f.txt', SELF, [{ deviceId: SELF, record: rec(SELF, 3, [UNKNOWN]) }, { deviceId: READER, record: early }], [READER], false, auth);
    expect(auth.asked).toBe(0);
    expect(view.need('f.txt')).toBeUndefined();
    expect(view.waitingPaths()).toEqual([]);
  });
});

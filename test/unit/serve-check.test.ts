import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { LocalFileRecord } from '../../src/protocol/index.js';
import { recordHasBlockAt, statMatchesRecord } from '../../src/core/sync/serve-check.js';

const h = (s: string) => createHash('sha256').update(s).digest();

function record(sizes: number[], over: Partial<LocalFileRecord> = {}): LocalFileRecord {
  const blocks = sizes.map((size, i) => ({ hash: h(`b${i}`), size }));
  return {
    path: 'f', type: 'file', size: sizes.reduce((a, b) => a + b, 0), mtimeMs: 1000, mode: 0o644, deleted: false,
    version: [], modifiedBy: 'x', sequence: 1, blocks, sig: Buffer.alloc(64), at: ['e'.repeat(64)], local: { inode: 7, statMtimeMs: 1000.5 }, ...over,
  };
}

describe('serve-check', () => {
  it('finds a block only at its own offset, with its size and hash', () => {
    const r = record([10, 20, 30, 40]);
    expect(recordHasBlockAt(r, h('b0'), 10, 0)).toBe(true);
    expect(recordHasBlockAt(r, h('b2'), 30, 30)).toBe(true);
    expect(recordHasBlockAt(r, h('b3'), 40, 60)).toBe(true);
    expect(recordHasBlockAt(r, h('b2'), 30, 31)).toBe(false); // not a block start
    expect(recordHasBlockAt(r, h('b1'), 30, 30)).toBe(false); // another block's hash
    expect(recordHasBlockAt(r, h('b2'), 29, 30)).toBe(false); // wrong size
    expect(recordHasBlockAt(r, h('b3'), 40, 100)).toBe(false); // past the end
  });

  it('answers the same for long block lists (searched through cached offsets) as for short ones', () => {
    const sizes = Array.from({ length: 40 }, (_, i) => 100 + i);
    const r = record(sizes);
    let at = 0;
    sizes.forEach((size, i) => {
      expect(recordHasBlockAt(r, h(`b${i}`), size, at)).toBe(true);
      expect(recordHasBlockAt(r, h(`b${i}`), size, at + 1)).toBe(false);
      at += size;
    });
    expect(recordHasBlockAt(r, h('b39'), 139, at)).toBe(false);
  });

  it('never claims blocks for deleted records or directories', () => {
    expect(recordHasBlockAt(record([10], { deleted: true }), h('b0'), 10, 0)).toBe(false);
    expect(recordHasBlockAt(record([10], { type: 'dir' }), h('b0'), 10, 0)).toBe(false);
  });

  it('trusts a stat only if size, mtime and inode are the recorded ones', () => {
    const r = record([10, 20]);
    const st = { type: 'file' as const, size: 30, mtimeMs: 1000.5, mode: 0o644, inode: 7 };
    expect(statMatchesRecord(st, r)).toBe(true);
    expect(statMatchesRecord({ ...st, size: 31 }, r)).toBe(false);
    expect(statMatchesRecord({ ...st, mtimeMs: 1000 }, r)).toBe(false);
    expect(statMatchesRecord({ ...st, inode: 8 }, r)).toBe(false);
    expect(statMatchesRecord({ ...st, type: 'dir' }, r)).toBe(false);
  });
});

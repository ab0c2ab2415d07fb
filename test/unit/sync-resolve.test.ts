import { describe, expect, it } from 'vitest';
import { decide, pickWinner } from '../../src/core/sync/resolve.js';
import { bumpVersion, compareVersions, isWellFormedVersion, mergeVersions } from '../../src/core/sync/version-vector.js';
import type { FileRecord, VersionVector } from '../../src/protocol/index.js';

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const C = 'c'.repeat(64);
const v = (...pairs: [string, number][]): VersionVector => pairs.map(([device, value]) => ({ device, value }));

function rec(version: VersionVector, patch: Partial<FileRecord> = {}): FileRecord {
  return {
    path: 'f.txt',
    type: 'file',
    size: 1,
    mtimeMs: 1000,
    mode: 0o644,
    deleted: false,
    version,
    modifiedBy: version[version.length - 1]?.device ?? A,
    sequence: 1,
    blocks: [{ hash: Buffer.alloc(32, 1), size: 1 }],
    sig: Buffer.alloc(64),
    at: ['e'.repeat(64)],
    ...patch,
  };
}

describe('version vectors', () => {
  const cases: [string, VersionVector, VersionVector, ReturnType<typeof compareVersions>][] = [
    ['equal', v([A, 1]), v([A, 1]), 'equal'],
    ['both empty', [], [], 'equal'],
    ['newer by own counter', v([A, 2]), v([A, 1]), 'newer'],
    ['older', v([A, 1]), v([A, 1], [B, 1]), 'older'],
    ['newer with an extra device', v([A, 1], [B, 1]), v([A, 1]), 'newer'],
    ['concurrent', v([A, 2]), v([A, 1], [B, 1]), 'concurrent'],
    ['concurrent, disjoint', v([A, 1]), v([B, 1]), 'concurrent'],
  ];
  for (const [name, a, b, want] of cases) it(`compare: ${name}`, () => expect(compareVersions(a, b)).toBe(want));

  it('merge has seen both; bump moves past everything seen', () => {
    const m = mergeVersions(v([A, 2], [C, 1]), v([A, 1], [B, 3]));
    expect(m).toEqual(v([A, 2], [B, 3], [C, 1]));
    const bumped = bumpVersion(m, C);
    expect(bumped).toEqual(v([A, 2], [B, 3], [C, 4]));
    expect(compareVersions(bumped, m)).toBe('newer');
    expect(isWellFormedVersion(bumped)).toBe(true);
    expect(isWellFormedVersion(v([B, 1], [A, 1]))).toBe(false);
    expect(isWellFormedVersion(v([A, 0]))).toBe(false);
  });
});

describe('which version wins, and what this device does', () => {
  it('a newer version wins over the one it follows', () => {
    const old = rec(v([A, 1]));
    const edit = rec(v([A, 1], [B, 1]), { mtimeMs: 1, blocks: [{ hash: Buffer.alloc(32, 9), size: 1 }] });
    expect(pickWinner([old, edit])).toBe(edit);
    expect(decide(old, edit)).toMatchObject({ kind: 'apply' });
    expect(decide(edit, edit)).toEqual({ kind: 'none' });
  });

  it('concurrent edits: newer mtime wins, then the greater device; the loser becomes a conflict copy', () => {
    const ours = rec(v([A, 1], [B, 1]), { mtimeMs: 2000, modifiedBy: B, blocks: [{ hash: Buffer.alloc(32, 2), size: 1 }] });
    const theirs = rec(v([A, 2]), { mtimeMs: 3000, modifiedBy: A });
    expect(pickWinner([ours, theirs])).toBe(theirs);
    expect(decide(ours, theirs)).toMatchObject({ kind: 'conflict' });
    const tie = rec(v([A, 2]), { mtimeMs: 2000, modifiedBy: A });
    expect(pickWinner([ours, tie])).toBe(ours); // same mtime: B > A
  });

  it('a deletion never removes a concurrent change', () => {
    const deleted = rec(v([A, 2]), { deleted: true, blocks: [], size: 0, mtimeMs: 9999 });
    const edited = rec(v([A, 1], [B, 1]), { mtimeMs: 1 });
    expect(pickWinner([deleted, edited])).toBe(edited);
    expect(decide(deleted, edited)).toMatchObject({ kind: 'apply' });
  });

  it('concurrent versions with the same bytes merge without a conflict copy', () => {
    const ours = rec(v([A, 1]), { modifiedBy: A });
    const theirs = rec(v([B, 1]), { modifiedBy: B });
    const action = decide(ours, pickWinner([ours, theirs]));
    expect(action).toMatchObject({ kind: 'merge', version: v([A, 1], [B, 1]) });
  });

  it('nothing to do for a deletion of a file we never had', () => {
    expect(decide(undefined, rec(v([A, 1]), { deleted: true, blocks: [], size: 0 }))).toEqual({ kind: 'none' });
    expect(decide(undefined, undefined)).toEqual({ kind: 'none' });
  });
});

import { setFlagsFromString, getHeapStatistics } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { LocalTree } from '../../src/core/sync/local-tree.js';
import type { LocalFileRecord } from '../../src/protocol/index.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const device = 'ab'.repeat(32);

/** A small file's record as the store returns it: a fresh object per row. */
function row(i: number): LocalFileRecord {
  return {
    path: `dir_${i % 100}/file_${i}.bin`, type: 'file', size: 1024, mtimeMs: 1_700_000_000_000, mode: 0o644, deleted: false,
    version: [{ device, value: i }], modifiedBy: device, sequence: i,
    blocks: [{ hash: Buffer.alloc(32, i), size: 1024 }], sig: Buffer.alloc(64, 1), at: ['e'.repeat(64)],
    local: { inode: 4_554_857 + i, statMtimeMs: i % 3 === 0 ? 1_795_382_549_962.129 : 1_700_000_000_000 },
  };
}

function* rows(n: number): Generator<LocalFileRecord> {
  for (let i = 0; i < n; i++) yield row(i);
}

describe('LocalTree memory', () => {
  // A folder of 100k files keeps this per path for as long as the node runs. V8 gave records
  // built as `{ ...compact, local }` a hidden class each (~450 bytes more per record).
  it('keeps a small file\'s record in under 900 bytes of heap', () => {
    const n = 20_000;
    gc();
    gc();
    const before = getHeapStatistics().used_heap_size;
    const tree = new LocalTree(rows(n));
    gc();
    gc();
    const perRecord = (getHeapStatistics().used_heap_size - before) / n;
    expect(tree.totals().files).toBe(n);
    expect(perRecord).toBeLessThan(900);
  });
});

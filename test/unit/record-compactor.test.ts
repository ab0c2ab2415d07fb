import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RecordCompactor } from '../../src/core/sync/record-compactor.js';
import type { FileRecord } from '../../src/protocol/index.js';

const h = (s: string) => createHash('sha256').update(s).digest();

function record(path: string, blocks: number): FileRecord {
  return {
    path, type: 'file', size: blocks * 100, mtimeMs: 1000, mode: 0o644, deleted: false,
    version: [{ device: 'a'.repeat(64), value: 3 }, { device: 'b'.repeat(64), value: 1 }], modifiedBy: 'a'.repeat(64), sequence: 9,
    blocks: Array.from({ length: blocks }, (_, i) => ({ hash: h(`${path}${i}`), size: 100 })), sig: Buffer.alloc(64, 7), at: ['e'.repeat(64), 'f'.repeat(64)],
  };
}

describe('RecordCompactor', () => {
  it('copies a record field for field, its block hashes in one buffer and its signature detached', () => {
    const compactor = new RecordCompactor();
    const full = record('a/b.txt', 5);
    const copy = compactor.record(full);
    expect(copy).toEqual(full);
    expect(new Set(copy.blocks.map((b) => b.hash.buffer)).size).toBe(1);
    copy.sig[0] = 0;
    expect(full.sig[0]).toBe(7);
  });

  it('shares one log point among the records made at it', () => {
    const compactor = new RecordCompactor();
    const one = compactor.record(record('x', 1));
    const two = compactor.record(record('y', 2));
    expect(two.at).toBe(one.at);
    expect(Object.isFrozen(one.at)).toBe(true);
  });
});

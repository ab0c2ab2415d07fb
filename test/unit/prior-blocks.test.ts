/**
 * Re-hashing with the blocks of the file's earlier version (PriorBlocks): whatever the edit and
 * however the bytes are sliced, the blocks are those of a full pass, and unchanged blocks are
 * confirmed by their hashes instead of being chunked again.
 */
import { describe, expect, it } from 'vitest';
import { BlockAccumulator, CHUNK_LIMITS, PriorBlocks, hashBuffer, type BlockRef } from '../../src/protocol/index.js';
import { pseudoRandom } from '../helpers/bytes.js';

/** Feeds `data` in slices of the given lengths (cycled). */
function accumulate(data: Buffer, prior: readonly BlockRef[] | undefined, slices: readonly number[], start = 0): { blocks: BlockRef[]; confirmed: number } {
  const acc = new BlockAccumulator(prior && new PriorBlocks(prior), start);
  let at = 0;
  for (let k = 0; at < data.length; k++) {
    const n = Math.min(slices[k % slices.length]!, data.length - at);
    // A fresh copy each time: the accumulator must not keep a view of a slice it was given.
    const slice = Buffer.from(data.subarray(at, at + n));
    acc.add(slice, n);
    slice.fill(0);
    at += n;
  }
  return { blocks: acc.finish(), confirmed: acc.confirmed };
}

const MiB = 1024 * 1024;
const old = pseudoRandom(6 * MiB, 7);
const extra = pseudoRandom(MiB + 123, 8);
const prior = hashBuffer(old);

const edits: [string, Buffer][] = [
  ['unchanged', old],
  ['appended', Buffer.concat([old, extra])],
  ['inserted in the middle', Buffer.concat([old.subarray(0, 3 * MiB), extra, old.subarray(3 * MiB)])],
  ['a byte changed in the middle', Buffer.concat([old.subarray(0, 3 * MiB), Buffer.from([old[3 * MiB]! ^ 1]), old.subarray(3 * MiB + 1)])],
  ['cut short', old.subarray(0, 4 * MiB + 5)],
  ['a range deleted', Buffer.concat([old.subarray(0, 2 * MiB), old.subarray(2 * MiB + 100_000)])],
  ['new from the start', Buffer.concat([extra.subarray(0, 1000), old])],
  ['something else entirely', pseudoRandom(5 * MiB, 9)],
  ['empty', Buffer.alloc(0)],
];

describe('PriorBlocks', () => {
  for (const [label, data] of edits) {
    it(`gives a full pass's blocks: ${label}`, () => {
      const fresh = hashBuffer(data);
      for (const slices of [[4 * MiB], [64 * 1024], [100_003, 7, 300_000], [CHUNK_LIMITS.max + 1]]) {
        expect(accumulate(data, prior, slices).blocks).toEqual(fresh);
      }
    });
  }

  it('confirms the unchanged blocks instead of chunking them', () => {
    const confirmed = (data: Buffer) => accumulate(data, prior, [4 * MiB]).confirmed;
    // All but the prior's last block, which ended at the file's end rather than at a cut.
    expect(confirmed(Buffer.concat([old, extra]))).toBe(prior.length - 1);
    // Before the insert by position, after it by the hash of the chunk where the cuts meet again.
    expect(confirmed(Buffer.concat([old.subarray(0, 3 * MiB), extra, old.subarray(3 * MiB)]))).toBeGreaterThanOrEqual(prior.length - 6);
    expect(confirmed(pseudoRandom(5 * MiB, 9))).toBe(0);
  });

  it('gives the blocks of a range chunked as if a chunk started there, from any start', () => {
    const data = Buffer.concat([old, extra]);
    let at = 0;
    for (const b of prior.slice(0, 12)) {
      for (const start of [at, at + 1]) {
        const range = data.subarray(start);
        expect(accumulate(range, prior, [4 * MiB], start).blocks).toEqual(accumulate(range, undefined, [4 * MiB]).blocks);
      }
      at += b.size;
    }
  });

  it('expects no block of a size no chunker makes, nor any after it', () => {
    const bad = [...prior.slice(0, 3), { hash: Buffer.alloc(32), size: CHUNK_LIMITS.max + 1 }, ...prior.slice(3)];
    const p = new PriorBlocks(bad);
    expect(p.usable).toBe(3);
    expect(accumulate(old, bad, [4 * MiB]).blocks).toEqual(prior);
    expect(new PriorBlocks([]).usable).toBe(0);
    expect(new PriorBlocks(prior.slice(0, 1)).usable).toBe(0);
  });
});

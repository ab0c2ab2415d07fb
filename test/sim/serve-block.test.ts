/**
 * Serving blocks without re-hashing them (FolderSync.readBlock + serve-check.ts): bytes go
 * out unhashed only while the file still matches its record; a file changed since its scan
 * is never served stale, and it is queued for a rescan.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from './harness.js';


function bytes(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('simulation: serving blocks of our own files', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('serves a block as read while the file matches its record, never once it changed', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    a.createSpace('Acme');
    const folder = await a.sync.addFolder('Acme', '/sim/a-docs', 'Docs');
    const original = bytes(200 * 1024, 7);
    sim.disk(a).userWrite('/sim/a-docs', 'data.bin', original);
    const sync = () => a.sync.sync(folder.folderId)!;
    await sim.until(() => sync()?.localRecord('data.bin') !== undefined && sync().state === 'idle', 'file scanned');

    const rec = sync().localRecord('data.bin')!;
    const first = rec.blocks[0]!;
    expect(first.size).toBeGreaterThanOrEqual(32 * 1024); // big enough to be trusted on its stat
    const served = await sync().readBlock(first.hash, first.size, { path: 'data.bin', offset: 0 });
    expect(served.equals(original.subarray(0, first.size))).toBe(true);

    // Changed in place, same size, and not scanned yet (the simulated clock has not moved).
    const edited = Buffer.from(original);
    edited[10] = edited[10]! ^ 0xff;
    sim.disk(a).userWrite('/sim/a-docs', 'data.bin', edited);
    await expect(sync().readBlock(first.hash, first.size, { path: 'data.bin', offset: 0 })).rejects.toThrow(/not found/);
    // The next scan records the change.
    await sim.until(() => !sync().localRecord('data.bin')!.blocks[0]!.hash.equals(first.hash), 'change scanned');
  });

  it('still serves the block after a touch that kept the bytes, hashing them', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    a.createSpace('Acme');
    const folder = await a.sync.addFolder('Acme', '/sim/a-docs', 'Docs');
    const original = bytes(100 * 1024, 3);
    sim.disk(a).userWrite('/sim/a-docs', 'same.bin', original);
    const sync = () => a.sync.sync(folder.folderId)!;
    await sim.until(() => sync()?.localRecord('same.bin') !== undefined && sync().state === 'idle', 'file scanned');
    const before = sync().localRecord('same.bin')!;
    const first = before.blocks[0]!;
    sim.disk(a).userWrite('/sim/a-docs', 'same.bin', original); // new mtime, same bytes
    const served = await sync().readBlock(first.hash, first.size, { path: 'same.bin', offset: 0 });
    expect(served.equals(original.subarray(0, first.size))).toBe(true);
    await sim.until(() => sync().localRecord('same.bin')!.local.statMtimeMs !== before.local.statMtimeMs, 'touch scanned');
  });
});


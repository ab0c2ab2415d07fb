/**
 * The idle collector against the real V8, in a process of its own (vitest runs each file in a
 * fresh one): whether V8 shrinks its young generation depends on what the process allocated in
 * the last seconds, so the other tests' work must not be in it.
 */
import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { exposedGc, startIdleGc } from '../../src/platform/idle-gc.js';
import { waitFor } from '../helpers/wait.js';

const MB = 2 ** 20;

describe('startIdleGc', () => {
  it('gives back the young generation that a burst of short-lived objects grew, once the loop is quiet', async () => {
    const newSpace = () => getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_size;
    exposedGc()!();
    // Node 24's V8 sometimes shrinks it on its own in a quiet process; Node 20's did not in 20 s.
    // The first idle collection (5 s quiet) may not shrink it either, when the burst's tail after
    // V8's last scavenge counts as allocated in those seconds; the second (10 s) does.
    const collections: number[] = [];
    const stop = startIdleGc({ periodMs: 250, minUnusedGrowthBytes: 4 * MB, onCollect: (i) => collections.push(i.ms) });
    // What a transfer does: many small objects per block, each gone a moment later.
    let last: unknown = null;
    for (let i = 0; i < 3_000_000; i++) last = { block: i, parts: [i, i + 1], name: `block ${i}` };
    expect(last).toBeTruthy();
    const grown = newSpace();
    try {
      expect(grown).toBeGreaterThanOrEqual(8 * MB);
      await waitFor(() => newSpace() <= grown / 4, 'the young generation given back', 30_000).catch((err: Error) => {
        throw new Error(`${err.message} (${grown / MB} MB; ${newSpace() / MB} MB after ${collections.length} collections)`);
      });
    } finally {
      stop();
    }
  }, 45_000);
});

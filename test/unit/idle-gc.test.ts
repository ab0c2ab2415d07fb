import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { exposedGc, IdleGcPolicy, type IdleGcProbe } from '../../src/platform/idle-gc.js';

const MB = 2 ** 20;

/** A heap and an event loop under the test's control. */
function fakeProbe(startMB: number) {
  const state = { heap: startMB * MB, busy: 0, collections: 0, liveAfterCollect: startMB * MB };
  const probe: IdleGcProbe = {
    heapUsed: () => state.heap,
    utilization: () => state.busy,
    collect: () => {
      state.collections++;
      state.heap = state.liveAfterCollect;
    },
    now: () => 0,
  };
  return { state, probe };
}

const options = { idleUtilization: 0.02, minGrowthBytes: 32 * MB, minGrowthRatio: 0.5 };

describe('IdleGcPolicy', () => {
  it('collects once a quiet period follows a burst that grew the heap, then takes what is live as the new reference', () => {
    const { state, probe } = fakeProbe(20);
    const seen: number[] = [];
    const policy = new IdleGcPolicy(probe, { ...options, onCollect: (i) => seen.push(i.afterBytes / MB) });
    state.heap = 400 * MB; // a first sync of 100k files
    state.busy = 0.9;
    expect(policy.tick()).toBe(false); // busy: never in the middle of work
    state.busy = 0.005;
    state.liveAfterCollect = 100 * MB;
    expect(policy.tick()).toBe(true);
    expect(seen).toEqual([100]);
    state.heap = 140 * MB; // +40 MB over 100 live: under half of it, not worth a pause
    expect(policy.tick()).toBe(false);
    state.heap = 160 * MB;
    state.liveAfterCollect = 101 * MB;
    expect(policy.tick()).toBe(true);
    expect(state.collections).toBe(2);
  });

  it('collects after start-up, which is a burst of its own, once the heap is past the minimum', () => {
    const { state, probe } = fakeProbe(250); // a node of 100k files, loaded before the first look
    state.liveAfterCollect = 100 * MB;
    const policy = new IdleGcPolicy(probe, options);
    expect(policy.tick()).toBe(true);
    expect(state.heap).toBe(100 * MB);
    const small = fakeProbe(30); // a node with little to hold: never worth a pause
    expect(new IdleGcPolicy(small.probe, options).tick()).toBe(false);
  });

  it('leaves a small heap alone whatever its growth ratio, and follows a heap that V8 shrank itself', () => {
    const { state, probe } = fakeProbe(40);
    state.liveAfterCollect = 10 * MB;
    const policy = new IdleGcPolicy(probe, options);
    expect(policy.tick()).toBe(true); // start-up
    state.heap = 40 * MB; // 4x, but only 30 MB
    expect(policy.tick()).toBe(false);
    state.heap = 8 * MB; // V8 collected on its own
    expect(policy.tick()).toBe(false);
    state.heap = 41 * MB; // 33 MB over the new reference
    expect(policy.tick()).toBe(true);
  });
});

describe('exposedGc', () => {
  it('obtains V8\'s gc() in a process started without --expose-gc, and it frees garbage', () => {
    const gc = exposedGc();
    expect(gc).toBeTypeOf('function');
    // Made and dropped inside a function, so that nothing on this stack still holds it.
    const makeGarbage = (): number => Array.from({ length: 200_000 }, (_, i) => ({ i, s: `item ${i}` })).length;
    expect(makeGarbage()).toBe(200_000);
    const before = process.memoryUsage().heapUsed;
    gc!();
    expect(process.memoryUsage().heapUsed).toBeLessThan(before - 5 * MB);
  });

  it('compacts: objects that outlived a burst of garbage no longer hold the pages it filled', () => {
    const gc = exposedGc()!;
    const oldSpace = () => {
      const s = getHeapSpaceStatistics().find((x) => x.space_name === 'old_space')!;
      return { committed: s.space_size, used: s.space_used_size };
    };
    gc();
    const start = oldSpace();
    // What a first sync leaves: records that stay, each made among many objects that live long
    // enough to reach the old generation (work in flight) and then go.
    const kept: { path: string; n: number[] }[] = [];
    const inFlight: unknown[] = new Array<unknown>(600_000).fill(null);
    for (let i = 0; i < 2_000_000; i++) {
      if (i % 10 === 0) kept.push({ path: `dir/file ${i}`, n: [i, i + 1] });
      else inFlight[i % inFlight.length] = { path: `garbage ${i}`, n: [i, i + 2] };
    }
    inFlight.length = 0;
    gc();
    const end = oldSpace();
    const live = end.used - start.used;
    const committed = end.committed - start.committed;
    expect(kept.length).toBe(200_000);
    expect(live).toBeGreaterThan(10 * MB);
    // Without the compaction, 5-6 x what the burst left live stayed committed; with it, 1.0 x.
    expect(committed).toBeLessThan(1.2 * live);
  });
});

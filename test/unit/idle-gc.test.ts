import { getHeapSpaceStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { exposedGc, IdleGcPolicy, type IdleGcProbe } from '../../src/platform/idle-gc.js';

const MB = 2 ** 20;

/** A heap and an event loop under the test's control. */
function fakeProbe(startMB: number) {
  // What V8 holds beside what is live: a young generation at its start-up size.
  const state = { heap: startMB * MB, slack: 2 * MB, busy: 0, collections: 0, liveAfterCollect: startMB * MB, slackAfterCollect: 2 * MB, now: 0 };
  // A collection keeps the loop busy for a moment (gc() runs in the timer's callback): that much
  // shows in the next utilization reading, whose window then starts over.
  let collecting = 0;
  const probe: IdleGcProbe = {
    heapUsed: () => state.heap,
    heapCommitted: () => state.heap + state.slack,
    utilization: () => {
      const busy = Math.max(state.busy, collecting);
      collecting = 0;
      return busy;
    },
    collect: () => {
      collecting = 0.05;
      state.collections++;
      state.heap = state.liveAfterCollect;
      state.slack = state.slackAfterCollect;
    },
    now: () => state.now,
  };
  return { state, probe };
}

const options = { idleUtilization: 0.02, minGrowthBytes: 32 * MB, minGrowthRatio: 0.5, minUnusedGrowthBytes: 24 * MB, unusedQuietMs: 5000 };

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

  it('collects once after a transfer that left little live but a young generation grown to its maximum', () => {
    const { state, probe } = fakeProbe(25); // a node after start-up: 25 MB used, 2 more held
    const policy = new IdleGcPolicy(probe, options);
    state.busy = 0.6; // 1 GiB sent: blocks come and go, the young generation grows to 32 MB
    state.heap = 28 * MB;
    state.slack = 31 * MB;
    expect(policy.tick()).toBe(false); // busy
    state.busy = 0.01;
    state.liveAfterCollect = 25 * MB;
    // 31 MB held unused, 29 more than after start-up; but V8 keeps its young generation until
    // it has allocated little for 5 s.
    for (let t = 1000; t <= 5000; t += 1000) {
      state.now = t;
      expect(policy.tick()).toBe(false);
    }
    state.now = 6000;
    expect(policy.tick()).toBe(true);
    expect(probe.heapCommitted()).toBe(27 * MB);
    expect(policy.tick()).toBe(false); // given back: nothing more to gain
    state.slack = 20 * MB; // a smaller burst: 18 MB more unused is not worth a pause
    expect(policy.tick()).toBe(false);
    state.slack = 1 * MB; // V8 shrank it on its own: the new reference
    expect(policy.tick()).toBe(false);
    state.slack = 25 * MB; // 24 MB over that: collect
    expect(policy.tick()).toBe(true);
    expect(state.collections).toBe(2);
    state.busy = 0.3; // work again: the quiet time starts over
    state.now = 7000;
    state.slack = 31 * MB;
    expect(policy.tick()).toBe(false);
    state.busy = 0;
    state.now = 8000;
    expect(policy.tick()).toBe(false);
    state.now = 13_000;
    expect(policy.tick()).toBe(true);
  });

  it('after a collection for live growth too soon for V8 to shrink, collects again once quiet long enough', () => {
    const { state, probe } = fakeProbe(25);
    const policy = new IdleGcPolicy(probe, options);
    state.busy = 0.01;
    state.heap = 120 * MB; // a first sync: the records stay, the burst grew the young generation
    state.slack = 31 * MB;
    state.liveAfterCollect = 80 * MB;
    state.slackAfterCollect = 31 * MB; // a second after the burst: V8 kept it
    state.now = 1000;
    expect(policy.tick()).toBe(true);
    state.slackAfterCollect = 2 * MB;
    state.now = 3000;
    expect(policy.tick()).toBe(false);
    state.now = 6000;
    expect(policy.tick()).toBe(true);
    expect(probe.heapCommitted()).toBe(82 * MB);
    state.now = 9000;
    expect(policy.tick()).toBe(false);
  });

  it('when V8 keeps its young generation through a collection after a quiet stretch, tries once more after another', () => {
    const { state, probe } = fakeProbe(25);
    const policy = new IdleGcPolicy(probe, options);
    state.busy = 0.01;
    state.slack = 31 * MB;
    state.liveAfterCollect = 25 * MB;
    // The burst's tail, allocated after V8's last scavenge, counted as allocated in the quiet seconds.
    state.slackAfterCollect = 31 * MB;
    state.now = 1000;
    expect(policy.tick()).toBe(false);
    state.now = 6000;
    expect(policy.tick()).toBe(true);
    state.now = 10_000;
    expect(policy.tick()).toBe(false); // another whole quiet stretch first
    state.slackAfterCollect = 2 * MB;
    state.now = 11_000;
    expect(policy.tick()).toBe(true);
    expect(probe.heapCommitted()).toBe(27 * MB);
    state.now = 20_000;
    expect(policy.tick()).toBe(false);
    expect(state.collections).toBe(2);
  });

  it('tries only once more: what V8 still keeps then is the new reference', () => {
    const { state, probe } = fakeProbe(25);
    const policy = new IdleGcPolicy(probe, options);
    state.busy = 0.01;
    state.slack = 31 * MB;
    state.liveAfterCollect = 25 * MB;
    state.slackAfterCollect = 31 * MB; // V8 never gives it back
    state.now = 1000;
    expect(policy.tick()).toBe(false);
    for (const t of [6000, 11_000]) {
      state.now = t;
      expect(policy.tick()).toBe(true);
    }
    for (let t = 12_000; t <= 60_000; t += 1000) {
      state.now = t;
      expect(policy.tick()).toBe(false);
    }
    expect(state.collections).toBe(2);
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

import { describe, expect, it } from 'vitest';
import { HEADROOM_BYTES, HeapHeadroom, growingPercent } from '../../src/platform/heap-headroom.js';

const MiB = 1024 * 1024;

describe('heap headroom', () => {
  it('leaves HEADROOM_BYTES above a small live heap, and lets V8 decide for a big one', () => {
    // 22 MB live, as in a transfer: V8's own ~2x left 24 MB and it collected back to back.
    const percent = growingPercent(22 * MiB);
    expect(22 * MiB * (percent / 100)).toBeGreaterThanOrEqual(HEADROOM_BYTES);
    expect(22 * MiB * ((percent - 1) / 100)).toBeLessThan(HEADROOM_BYTES);
    expect(growingPercent(HEADROOM_BYTES / 2)).toBe(200);
    expect(growingPercent(HEADROOM_BYTES - 1)).toBe(101);
    expect(growingPercent(HEADROOM_BYTES)).toBe(0);
    expect(growingPercent(400 * MiB)).toBe(0);
    // An almost empty heap gets a bounded factor, not an absurd one.
    expect(growingPercent(1)).toBe(1000);
    expect(growingPercent(0)).toBe(1000);
  });

  it('sets the flag after a full GC only when the percent moves by 10 points or crosses to V8’s own', () => {
    let used = 22 * MiB;
    const set: number[] = [];
    const headroom = new HeapHeadroom({ heapUsed: () => used, setPercent: (p) => set.push(p) });
    expect(headroom.afterFullGc()).toBe(growingPercent(22 * MiB));
    used = 22.5 * MiB; // a few points less: left as it is
    headroom.afterFullGc();
    expect(set).toEqual([growingPercent(22 * MiB)]);
    used = 30 * MiB;
    headroom.afterFullGc();
    used = 200 * MiB; // a big folder loaded: V8 decides again
    expect(headroom.afterFullGc()).toBe(0);
    used = 200.5 * MiB;
    headroom.afterFullGc();
    expect(set).toEqual([growingPercent(22 * MiB), growingPercent(30 * MiB), 0]);
  });
});

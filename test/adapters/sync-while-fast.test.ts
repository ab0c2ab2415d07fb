import { describe, expect, it } from 'vitest';
import { SyncWhileFast } from '../../src/adapters/fs-node/sync-while-fast.js';

/** Stands for a system call that blocked: spins the thread for `ms`. */
function blockFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spinning on purpose: the call under test must be measured as slow
  }
}

describe('SyncWhileFast', () => {
  it('runs calls synchronously while they are fast', async () => {
    const calls = new SyncWhileFast();
    const used: string[] = [];
    for (let i = 0; i < 3; i++) {
      await calls.run(
        () => used.push('sync'),
        async () => used.push('async'),
      );
    }
    expect(used).toEqual(['sync', 'sync', 'sync']);
    expect(calls.deferring).toBe(false);
  });

  it('after a slow call, goes through the async path for a while, then tries synchronously again', async () => {
    const calls = new SyncWhileFast();
    const slow = await calls.run(
      () => {
        blockFor(8);
        return 'slow';
      },
      async () => 'async',
    );
    expect(slow).toBe('slow');
    expect(calls.deferring).toBe(true);
    let asyncCalls = 0;
    while (calls.deferring) {
      const how = await calls.run(
        () => 'sync',
        async () => 'async',
      );
      expect(how).toBe('async');
      asyncCalls++;
    }
    expect(asyncCalls).toBeGreaterThan(10);
    expect(await calls.run(() => 'sync', async () => 'async')).toBe('sync');
  });

  it('turns an error of the synchronous call into a rejection, never a throw', async () => {
    const calls = new SyncWhileFast();
    const failing = () =>
      calls.run(
        () => {
          throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
        },
        async () => 'unused',
      );
    let result: Promise<string> | undefined;
    expect(() => (result = failing())).not.toThrow();
    await expect(result).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

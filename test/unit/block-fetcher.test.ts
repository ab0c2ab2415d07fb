/**
 * BlockFetcher's request slots: a released slot goes to one waiter that may use it (not to
 * every waiter, and never only to one that may not), and a peer that goes away wakes everyone.
 */
import { describe, expect, it } from 'vitest';
import { BlockFetcher, BlockNotAvailableError } from '../../src/core/sync/block-fetcher.js';
import { BlockUnavailableError, type SyncChannel } from '../../src/core/sync/sync-channel.js';
import { blockHash, type BlockRef } from '../../src/protocol/index.js';
import { noopLogger } from '../../src/adapters/network-common/noop-logger.js';
import { waitFor } from '../helpers/wait.js';

/** Per peer, a fetcher serves this many requests at once (MAX_IN_FLIGHT_PER_PEER). */
const SLOTS = 48;

/** A peer whose block requests wait until the test answers them, oldest first. */
function fakePeer(peerId: string) {
  const pending: { resolve(data: Buffer): void; reject(err: Error): void; hash: Buffer }[] = [];
  const peer = {
    peerId,
    opened: true,
    pending,
    request: (req: { hash: Buffer }) => new Promise<Buffer>((resolve, reject) => pending.push({ resolve, reject, hash: req.hash })),
    /** Answers the oldest request with the block's bytes. */
    answer(): void {
      const r = pending.shift()!;
      r.resolve(contents.get(r.hash.toString('hex'))!);
    },
    /** Fails the oldest request; returns the hash it asked for. */
    fail(): Buffer {
      const r = pending.shift()!;
      r.reject(new BlockUnavailableError('ERROR', peerId));
      return r.hash;
    },
  };
  return peer;
}
type FakePeer = ReturnType<typeof fakePeer>;

const contents = new Map<string, Buffer>();
function block(n: number): BlockRef {
  const data = Buffer.from(`block ${n}`);
  const hash = blockHash(data);
  contents.set(hash.toString('hex'), data);
  return { hash, size: data.length };
}

function fetcherOver(peers: FakePeer[]) {
  const counts = { lookups: 0 };
  const fetcher = new BlockFetcher({
    channels: () => {
      counts.lookups++;
      return peers as unknown as SyncChannel[];
    },
    onBadBlock: () => undefined,
    now: () => 0,
    logger: noopLogger,
  });
  const fetch = (n: number) => fetcher.fetch('folder', block(n), { path: `f${n}`, offset: 0 }, new Set());
  return { fetcher, fetch, counts };
}

describe('BlockFetcher request slots', () => {
  it('gives a released slot to one waiter instead of waking them all', async () => {
    const peer = fakePeer('p'.repeat(64));
    const { fetch, counts } = fetcherOver([peer]);
    const total = SLOTS + 150;
    const all = Array.from({ length: total }, (_, n) => fetch(n));
    await waitFor(() => peer.pending.length === SLOTS, 'the peer holds a full window of requests');
    while (peer.pending.length > 0) {
      peer.answer();
      await new Promise((r) => setImmediate(r));
    }
    const got = await Promise.all(all);
    expect(got.map((d) => d.toString())).toEqual(Array.from({ length: total }, (_, n) => `block ${n}`));
    // Each fetch looks at the peers when it starts and once per wake-up: about twice. Waking
    // every waiter on each release made it ~150 times for the last ones.
    expect(counts.lookups).toBeLessThan(3 * total);
  });

  it('gives a slot to a waiter that may use that peer, not to an older one that already tried it', async () => {
    const x = fakePeer('x'.repeat(64));
    const y = fakePeer('y'.repeat(64));
    const { fetch } = fetcherOver([x, y]);
    // Fill both peers; the fetches spread over them, least busy first.
    const filling = Array.from({ length: 2 * SLOTS }, (_, n) => fetch(n));
    await waitFor(() => x.pending.length === SLOTS && y.pending.length === SLOTS, 'both peers hold a full window');
    // One fetch fails on y: it may now ask only x, which is full, so it waits (the oldest waiter).
    const triedY = y.fail();
    const refill = fetch(1000); // takes the slot y just freed
    await waitFor(() => y.pending.length === SLOTS, 'y full again');
    const younger = fetch(1001); // may ask either peer; both are full: it waits too
    // A slot of y frees: it goes to the younger waiter, the only one that may use it.
    y.answer();
    await waitFor(() => y.pending.some((r) => r.hash.equals(block(1001).hash)), 'the younger waiter asked y');
    // A slot of x frees: the older waiter gets it.
    x.answer();
    await waitFor(() => x.pending.some((r) => r.hash.equals(triedY)), 'the older waiter asked x');
    while (x.pending.length + y.pending.length > 0) {
      if (x.pending.length > 0) x.answer();
      if (y.pending.length > 0) y.answer();
      await new Promise((r) => setImmediate(r));
    }
    expect((await refill).toString()).toBe('block 1000');
    expect((await younger).toString()).toBe('block 1001');
    expect((await Promise.allSettled(filling)).filter((r) => r.status === 'rejected')).toHaveLength(0);
  });

  it('wakes every waiter when the peer goes away, and they say no peer could provide the block', async () => {
    const peer = fakePeer('p'.repeat(64));
    const { fetch } = fetcherOver([peer]);
    const all = Array.from({ length: SLOTS + 20 }, (_, n) => fetch(n).then(() => 'ok', (err: unknown) => err));
    await waitFor(() => peer.pending.length === SLOTS, 'the peer holds a full window of requests');
    peer.opened = false;
    while (peer.pending.length > 0) peer.fail();
    const results = await Promise.all(all);
    expect(results.every((r) => r instanceof BlockNotAvailableError)).toBe(true);
  });
});

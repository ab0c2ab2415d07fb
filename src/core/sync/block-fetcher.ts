import { AbortedError, AgoraError, throwIfAborted } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type { BlockRef } from '../../protocol/index.js';
import { blockHash } from '../../protocol/index.js';
import { BlockUnavailableError, type SyncChannel } from './sync-channel.js';

/** A peer sent bytes whose SHA-256 is not the block's: it is faulty or malicious. */
export interface BadBlockReport {
  peerId: string;
  folderId: string;
  path: string;
  offset: number;
}

export class BlockNotAvailableError extends AgoraError {
  constructor(path: string) {
    super('NOT_FOUND', `no connected peer could provide a block of ${path}; it will be retried`);
    this.name = 'BlockNotAvailableError';
  }
}

/**
 * Gets blocks from peers: spreads requests over every connected peer that has the folder
 * (those known to hold the wanted version first, least busy first), verifies each block's
 * SHA-256 before handing it out, and on a wrong block or an error asks the next peer.
 */
/** After a wrong block, a peer is not asked again for this long (other peers are). */
const DISTRUST_MS = 10 * 60_000;
/** Requests outstanding with one peer; below what a peer serves at once (SyncChannel MAX_SERVING). */
const MAX_IN_FLIGHT_PER_PEER = 48;
/** A peer that answered BUSY is asked again after this long. */
const BUSY_RETRY_MS = 50;

export class BlockFetcher {
  private readonly inFlight = new Map<SyncChannel, number>();
  /** Callers waiting for a request slot, oldest first, each with the peers it may still ask. */
  private waiters: Waiter[] = [];
  /** Signals that already wake every waiter when they abort. */
  private readonly watchedSignals = new WeakSet<AbortSignal>();
  /** Peers that sent wrong blocks: until when they are skipped, and how many they sent. */
  private readonly distrusted = new Map<string, { until: number; count: number }>();

  constructor(
    private readonly deps: {
      /** Open channels of peers that share this folder with us. */
      channels(folderId: string): SyncChannel[];
      onBadBlock(report: BadBlockReport): void;
      now(): number;
      logger: Logger;
    },
  ) {}

  /** Peers that sent wrong blocks since this node started, with how many. */
  badPeers(): { deviceId: string; blocks: number }[] {
    return [...this.distrusted].map(([deviceId, d]) => ({ deviceId, blocks: d.count }));
  }

  async fetch(
    folderId: string,
    block: BlockRef,
    hint: { path: string; offset: number },
    preferred: ReadonlySet<string>,
    signal?: AbortSignal,
  ): Promise<Buffer> {
    const tried = new Set<SyncChannel>();
    let busyRetries = 0;
    for (;;) {
      throwIfAborted(signal);
      const candidates = this.candidates(folderId, tried);
      if (candidates.length === 0) throw new BlockNotAvailableError(hint.path);
      const channel = this.pick(candidates, preferred);
      if (!channel) {
        await this.slotFreed((ch) => this.candidates(folderId, tried).includes(ch), signal); // every candidate is at its limit
        continue;
      }
      this.inFlight.set(channel, (this.inFlight.get(channel) ?? 0) + 1);
      let data: Buffer;
      try {
        data = await channel.request({ folderId, hash: block.hash, size: block.size, path: hint.path, offset: hint.offset }, signal);
      } catch (err) {
        if (err instanceof AbortedError) throw err;
        if (err instanceof BlockUnavailableError && err.reason === 'BUSY' && busyRetries++ < 100) {
          await delay(BUSY_RETRY_MS, signal);
          continue; // not a failure of this peer: ask again
        }
        tried.add(channel);
        this.deps.logger.debug({ peer: channel.peerId.slice(0, 12), path: hint.path, err: (err as Error).message }, 'block request failed');
        continue;
      } finally {
        this.release(channel);
      }
      if (data.byteLength !== block.size || !blockHash(data).equals(block.hash)) {
        tried.add(channel);
        const d = this.distrusted.get(channel.peerId);
        this.distrusted.set(channel.peerId, { until: this.deps.now() + DISTRUST_MS, count: (d?.count ?? 0) + 1 });
        this.deps.onBadBlock({ peerId: channel.peerId, folderId, path: hint.path, offset: hint.offset });
        continue;
      }
      return data;
    }
  }

  /** Open, trusted channels of the folder not yet tried for this block. */
  private candidates(folderId: string, tried: Set<SyncChannel>): SyncChannel[] {
    const now = this.deps.now();
    return this.deps
      .channels(folderId)
      .filter((ch) => ch.opened && !tried.has(ch) && (this.distrusted.get(ch.peerId)?.until ?? 0) <= now);
  }

  /** Peers known to hold the version first; among equals, the least busy; none if all are full. */
  private pick(candidates: SyncChannel[], preferred: ReadonlySet<string>): SyncChannel | undefined {
    let best: SyncChannel | undefined;
    let bestScore = Infinity;
    for (const ch of candidates) {
      const load = this.inFlight.get(ch) ?? 0;
      if (load >= MAX_IN_FLIGHT_PER_PEER) continue;
      const score = (preferred.has(ch.peerId) ? 0 : 1_000_000) + load;
      if (score < bestScore) {
        best = ch;
        bestScore = score;
      }
    }
    return best;
  }

  /**
   * Resolves when a request slot this caller may use is released (or the signal aborts; the
   * caller's loop then throws). A released slot wakes one waiter, the oldest that may ask that
   * peer: waking them all made every release cost time linear in their number (a receiver
   * pulling several big files at once has hundreds of block workers waiting here), and all
   * but one went back to waiting. One abort listener per signal, not one per wait, for the
   * same reason (adding and removing listeners on a busy signal was ~10% of a receiver's CPU).
   */
  private slotFreed(accepts: (channel: SyncChannel) => boolean, signal?: AbortSignal): Promise<void> {
    if (signal && !this.watchedSignals.has(signal)) {
      this.watchedSignals.add(signal);
      signal.addEventListener('abort', () => this.wakeAll(), { once: true });
    }
    return new Promise<void>((wake) => this.waiters.push({ accepts, wake }));
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w.wake();
  }

  private release(channel: SyncChannel): void {
    const n = (this.inFlight.get(channel) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(channel);
    else this.inFlight.set(channel, n);
    // A peer gone: everyone looks again (some may have no peer left to ask, and must say so).
    if (!channel.opened) return this.wakeAll();
    const next = this.waiters.findIndex((w) => w.accepts(channel));
    if (next >= 0) this.waiters.splice(next, 1)[0]!.wake();
  }
}

interface Waiter {
  /** Whether this caller may ask that peer (open, trusted, not yet tried for its block). */
  accepts(channel: SyncChannel): boolean;
  wake(): void;
}

/** A short real-time pause (a BUSY peer is not a simulated-time matter). */
function delay(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

import { AbortedError, AgoraError, throwIfAborted } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type { BlockRef } from '../../protocol/index.js';
import { blockHash } from './chunking/hash-file.js';
import type { SyncChannel } from './sync-channel.js';

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

export class BlockFetcher {
  private readonly inFlight = new Map<SyncChannel, number>();
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
    for (;;) {
      throwIfAborted(signal);
      const channel = this.pick(folderId, preferred, tried);
      if (!channel) throw new BlockNotAvailableError(hint.path);
      tried.add(channel);
      this.inFlight.set(channel, (this.inFlight.get(channel) ?? 0) + 1);
      let data: Buffer;
      try {
        data = await channel.request({ folderId, hash: block.hash, size: block.size, path: hint.path, offset: hint.offset }, signal);
      } catch (err) {
        if (err instanceof AbortedError) throw err;
        this.deps.logger.debug({ peer: channel.peerId.slice(0, 12), path: hint.path, err: (err as Error).message }, 'block request failed');
        continue;
      } finally {
        this.release(channel);
      }
      if (data.byteLength !== block.size || !blockHash(data).equals(block.hash)) {
        const d = this.distrusted.get(channel.peerId);
        this.distrusted.set(channel.peerId, { until: this.deps.now() + DISTRUST_MS, count: (d?.count ?? 0) + 1 });
        this.deps.onBadBlock({ peerId: channel.peerId, folderId, path: hint.path, offset: hint.offset });
        continue;
      }
      return data;
    }
  }

  private pick(folderId: string, preferred: ReadonlySet<string>, tried: Set<SyncChannel>): SyncChannel | undefined {
    let best: SyncChannel | undefined;
    let bestScore = Infinity;
    for (const ch of this.deps.channels(folderId)) {
      if (tried.has(ch) || !ch.opened) continue;
      if ((this.distrusted.get(ch.peerId)?.until ?? 0) > this.deps.now()) continue;
      // Peers known to hold the version come first; among equals, the least busy.
      const score = (preferred.has(ch.peerId) ? 0 : 1_000_000) + (this.inFlight.get(ch) ?? 0);
      if (score < bestScore) {
        best = ch;
        bestScore = score;
      }
    }
    return best;
  }

  private release(channel: SyncChannel): void {
    const n = (this.inFlight.get(channel) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(channel);
    else this.inFlight.set(channel, n);
  }
}

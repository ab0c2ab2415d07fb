import { AgoraError, PeerUnreachableError, throwIfAborted } from '../../errors/index.js';
import type { PeerConnection } from '../../ports/network.js';
import { shortId } from '../network-common/ids.js';
import { StreamPeerConnection } from '../network-common/stream-connection.js';
import { MEMORY_ADDRESS_PREFIX, MemoryNetwork, type MemoryNetworkOptions } from './memory-network.js';
import { createStreamPair } from './memory-stream.js';
import type { MessageScheduler } from './scheduler.js';

interface Link {
  readonly a: MemoryNetwork;
  readonly b: MemoryNetwork;
  readonly ends: readonly [StreamPeerConnection, StreamPeerConnection];
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export interface MemoryNetworkHubOptions {
  /**
   * Off by default. With one, every write waits in a queue until the scheduler delivers it:
   * reordered across connections, delayed, and possibly reset; see MessageScheduler.
   */
  scheduler?: MessageScheduler;
}

/**
 * The in-process "internet" of a simulation: every MemoryNetwork created here can dial the
 * others by `mem:<id>`. Without a scheduler it is deterministic: no timers, no randomness,
 * a write arrives at once and a dial completes after one turn of the event loop. Partitions
 * and crashes are driven from the test through this hub.
 */
export class MemoryNetworkHub {
  private readonly nodes = new Map<string, MemoryNetwork>();
  private readonly links = new Set<Link>();
  private readonly cuts = new Set<string>();
  private readonly scheduler: MessageScheduler | null;

  constructor(options: MemoryNetworkHubOptions = {}) {
    this.scheduler = options.scheduler ?? null;
  }

  /** The scheduler's seed, for a failing simulation to print; null without a scheduler. */
  get seed(): number | null {
    return this.scheduler?.seed ?? null;
  }

  /** The next number in [0, 1) from the scheduler's seeded stream, for the test's own chaos. */
  random(): number {
    if (this.scheduler === null) throw new Error('MemoryNetworkHub.random() needs a hub created with a scheduler.');
    return this.scheduler.random();
  }

  /**
   * Splits `ids` (by default every node of the hub, in creation order) into two random
   * non-empty sides and partitions them; returns the sides so that the test can log them.
   */
  randomPartition(ids: readonly string[] = [...this.nodes.keys()]): [string[], string[]] {
    if (ids.length < 2) throw new Error('MemoryNetworkHub.randomPartition() needs at least two nodes.');
    const sides: [string[], string[]] = [[], []];
    for (const id of ids) sides[this.random() < 0.5 ? 0 : 1].push(id);
    // An empty side would be no partition at all: move one random node across.
    const [full, empty] = sides[0].length === 0 ? [sides[1], sides[0]] : [sides[0], sides[1]];
    if (empty.length === 0) empty.push(...full.splice(Math.floor(this.random() * full.length), 1));
    this.partition(sides[0], sides[1]);
    return sides;
  }

  createNetwork(options: MemoryNetworkOptions): MemoryNetwork {
    const network = new MemoryNetwork(
      { dial: (...args) => this.dial(...args), unregister: (n) => this.unregister(n) },
      options,
    );
    if (this.nodes.has(network.id)) {
      throw new AgoraError('CONFLICT', `A memory network with id ${shortId(network.id)} is already open on this hub.`);
    }
    this.nodes.set(network.id, network);
    return network;
  }

  /** From now on no node of `aIds` can reach any node of `bIds`; their connections drop. */
  partition(aIds: readonly string[], bIds: readonly string[]): void {
    for (const a of aIds) for (const b of bIds) if (a !== b) this.cuts.add(pairKey(a, b));
    for (const link of [...this.links]) {
      if (this.cuts.has(pairKey(link.a.id, link.b.id))) this.drop(link);
    }
  }

  /** Removes every partition; nodes reconnect only when they dial again. */
  heal(): void {
    this.cuts.clear();
  }

  /** Closes every connection of node `id`, as if it crashed; it stays dialable. */
  disconnect(id: string): void {
    for (const link of [...this.links]) {
      if (link.a.id === id || link.b.id === id) this.drop(link);
    }
  }

  /** Open connections, counted once per pair of ends; for assertions in simulations. */
  connectionCount(): number {
    return this.links.size;
  }

  private async dial(
    from: MemoryNetwork,
    remoteId: string,
    addresses: readonly string[],
    signal?: AbortSignal,
  ): Promise<PeerConnection> {
    throwIfAborted(signal);
    // One turn of the loop, so that a dial is never synchronous, like on a real network.
    await new Promise<void>((resolve) => setImmediate(resolve));
    throwIfAborted(signal);
    if (!from.listening) throw new PeerUnreachableError('This memory network is not started or already closed.');

    const failures: string[] = [];
    for (const address of addresses) {
      const failure = this.check(from, remoteId, address);
      if (failure !== null) {
        failures.push(`${address}: ${failure}`);
        continue;
      }
      const target = this.nodes.get(remoteId);
      if (target === undefined) continue;
      return this.link(from, target);
    }
    const why = failures.length > 0 ? failures.join('; ') : 'no address to try';
    throw new PeerUnreachableError(`Could not reach ${shortId(remoteId)} (${why}).`, undefined, failures);
  }

  /** Why `from` cannot connect to `remoteId` at `address`, or null if it can. */
  private check(from: MemoryNetwork, remoteId: string, address: string): string | null {
    if (!address.startsWith(MEMORY_ADDRESS_PREFIX)) return 'not a memory address';
    const target = this.nodes.get(address.slice(MEMORY_ADDRESS_PREFIX.length));
    if (target === undefined || !target.listening) return 'nothing listens there';
    if (target.id !== remoteId) return 'another device answers there';
    if (target === from) return 'that is this node';
    if (this.cuts.has(pairKey(from.id, target.id))) return 'partitioned';
    if (!target.admits(from.id)) return 'refused by its firewall';
    return null;
  }

  private link(from: MemoryNetwork, target: MemoryNetwork): PeerConnection {
    const [dialerStream, acceptorStream] = createStreamPair(this.scheduler);
    const base = { transport: 'memory' as const, direct: true };
    const dialerEnd = new StreamPeerConnection(
      dialerStream,
      { ...base, remoteId: target.id, initiator: true, remoteAddress: MEMORY_ADDRESS_PREFIX + target.id },
      from.logger,
    );
    const acceptorEnd = new StreamPeerConnection(
      acceptorStream,
      { ...base, remoteId: from.id, initiator: false, remoteAddress: MEMORY_ADDRESS_PREFIX + from.id },
      target.logger,
    );
    const link: Link = { a: from, b: target, ends: [dialerEnd, acceptorEnd] };
    this.links.add(link);
    dialerEnd.onClose(() => this.links.delete(link));
    acceptorEnd.onClose(() => this.links.delete(link));
    target.attach(acceptorEnd);
    from.attach(dialerEnd);
    return dialerEnd;
  }

  private drop(link: Link): void {
    this.links.delete(link);
    for (const end of link.ends) end.close();
  }

  private unregister(network: MemoryNetwork): void {
    if (this.nodes.get(network.id) === network) this.nodes.delete(network.id);
  }
}

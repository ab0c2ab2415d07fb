import { ManualClock } from '../../src/adapters/clock/manual-clock.js';
import { MemoryFs, MemoryWatcher } from '../../src/adapters/fs-memory/index.js';
import { onTestFailed } from 'vitest';
import { MemoryNetworkHub, MessageScheduler, type MemoryNetwork } from '../../src/adapters/network-memory/index.js';
import { createMemoryStore } from '../../src/adapters/store-memory/index.js';
import { generateKeyPair } from '../../src/core/crypto.js';
import { AgoraError } from '../../src/errors/index.js';
import { AgoraNode } from '../../src/node/agora-node.js';
import type { Logger } from '../../src/ports/logger.js';
import type { KeeperOffer, KeyPair } from '../../src/ports/network.js';
import type { Store } from '../../src/ports/store.js';
import type { SyncChannel } from '../../src/core/sync/sync-channel.js';
import { waitFor } from '../helpers/wait.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** AGORA_SIM_SEED replays a run; otherwise a fresh seed, printed when the test fails. */
function simulationSeed(fixed?: number): number {
  const fromEnv = process.env.AGORA_SIM_SEED;
  const seed = fixed ?? (fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : MessageScheduler.randomSeed());
  onTestFailed(() => {
    process.stderr.write(`simulation seed ${seed} (replay with AGORA_SIM_SEED=${seed})\n`);
  });
  return seed;
}

/**
 * Several nodes in one process over the memory network, on one manual clock. A seeded
 * scheduler interleaves the messages of all connections in a random order (each
 * connection's own order kept, as on TCP); the seed is printed when a test fails.
 */
export class Simulation {
  readonly hub: MemoryNetworkHub;

  /** @param seed a fixed seed, for a regression run that once failed (else AGORA_SIM_SEED or a fresh one) */
  constructor(seed?: number) {
    this.hub = new MemoryNetworkHub({ scheduler: new MessageScheduler({ seed: simulationSeed(seed), maxBatch: 4 }) });
  }

  readonly clock = new ManualClock();
  readonly nodes: AgoraNode[] = [];
  /** Each node's disk. */
  readonly disks = new Map<AgoraNode, MemoryFs>();
  /** What outlives a node's process: its identity, its disk and its store (the database file). */
  private readonly persisted = new Map<AgoraNode, { name: string; keyPair: KeyPair; disk: MemoryFs; store: Store }>();

  async node(name: string, options: { keeperOffer?: KeeperOffer } = {}): Promise<AgoraNode> {
    const keyPair = generateKeyPair();
    const disk = new MemoryFs({ now: () => this.clock.now() });
    return this.boot(name, keyPair, disk, createMemoryStore(), options.keeperOffer);
  }

  /** The memory network of a node (to see what the core handed it, e.g. keepers). */
  networkOf(node: AgoraNode): MemoryNetwork {
    const network = this.networks.get(node);
    if (!network) throw new Error('not a node of this simulation');
    return network;
  }

  private readonly networks = new Map<AgoraNode, MemoryNetwork>();

  /**
   * Stops `node` as a process that goes away would (its connections drop, work in flight is
   * abandoned, nothing more is written) and starts a new AgoraNode on the same identity, disk
   * and store contents, as after a restart. Returns the new node; the old one is no longer
   * part of the simulation.
   */
  async restart(node: AgoraNode): Promise<AgoraNode> {
    const parts = this.persisted.get(node);
    if (!parts) throw new Error('not a running node of this simulation');
    await node.close();
    this.persisted.delete(node);
    this.disks.delete(node);
    this.nodes.splice(this.nodes.indexOf(node), 1);
    return this.boot(parts.name, parts.keyPair, parts.disk, parts.store);
  }

  private async boot(name: string, keyPair: KeyPair, disk: MemoryFs, store: Store, keeperOffer?: KeeperOffer): Promise<AgoraNode> {
    const network = this.hub.createNetwork({ keyPair, ...(keeperOffer ? { keeperOffer } : {}) });
    const node = new AgoraNode({
      identity: { keyPair, deviceId: keyPair.publicKey.toString('hex'), name },
      store: processView(store),
      network,
      clock: this.clock,
      logger: silent,
      defaultSpaceDir: (space) => `/sim/${name}/${space}`,
      attachmentsDir: `/sim/${name}-attachments`,
      fs: disk,
      watcher: new MemoryWatcher(disk),
    });
    await node.start();
    this.networks.set(node, network);
    this.nodes.push(node);
    this.disks.set(node, disk);
    this.persisted.set(node, { name, keyPair, disk, store });
    return node;
  }

  /** The node's store (as a later process would open it). */
  storeOf(node: AgoraNode): Store {
    const parts = this.persisted.get(node);
    if (!parts) throw new Error('not a node of this simulation');
    return parts.store;
  }

  disk(node: AgoraNode): MemoryFs {
    const disk = this.disks.get(node);
    if (!disk) throw new Error('not a node of this simulation');
    return disk;
  }

  /**
   * Advances simulated time in small steps while real I/O callbacks run, until the condition
   * holds. Fails after `timeoutMs` of real time, or, with `simMs`, once that much simulated
   * time has gone by: a bound in simulated time means the same on a busy machine (where each
   * step takes longer) as on an idle one.
   */
  async until(condition: () => boolean, what: string, timeoutMs = 30_000, options: { simMs?: number } = {}): Promise<void> {
    const start = this.clock.now();
    const { simMs } = options;
    await waitFor(
      () => {
        if (condition()) return true;
        if (simMs !== undefined && this.clock.now() - start >= simMs) throw new Error(`not true after ${simMs} ms of simulated time: ${what}`);
        return false;
      },
      what,
      timeoutMs,
      () => this.clock.advance(250),
    );
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

/**
 * One process's handle on a store that outlives it, like a connection to a database file:
 * close() ends this handle only (later calls through it fail as on a closed store), and
 * the data stays for the next process.
 */
function processView(store: Store): Store {
  let closed = false;
  const check = () => {
    if (closed) throw new AgoraError('STORE', 'The store is closed.');
  };
  const guard = <R extends object>(repo: R): R =>
    new Proxy(repo, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          check();
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  return {
    spaces: guard(store.spaces),
    log: guard(store.log),
    invites: guard(store.invites),
    peers: guard(store.peers),
    settings: guard(store.settings),
    folders: guard(store.folders),
    index: guard(store.index),
    chat: guard(store.chat),
    fileHistory: guard(store.fileHistory),
    transaction: (fn) => {
      check();
      return store.transaction(fn);
    },
    close: () => {
      closed = true;
    },
  };
}

/** The open sync channel from one node to another, to send what a modified client would. */
export function syncChannel(from: AgoraNode, to: AgoraNode, spaceId: string): SyncChannel {
  const ch = (from.sync.peerSync['channels'] as Map<string, Map<string, SyncChannel>>).get(to.deviceId)?.get(spaceId);
  if (!ch?.opened) throw new Error('no open sync channel');
  return ch;
}

/**
 * The usual two-member setup: Alice creates space Acme, Bob joins as a member, and Alice
 * shares /sim/a-docs as folder Docs.
 */
export async function aliceAndBobShareDocs(sim: Simulation): Promise<{ a: AgoraNode; b: AgoraNode; folder: Awaited<ReturnType<AgoraNode['sync']['addFolder']>> }> {
  const a = await sim.node('Alice');
  const b = await sim.node('Bob');
  a.createSpace('Acme');
  await b.join(a.invite('Acme', { role: 'member', expiresInMs: 24 * 3600_000, uses: 1 }).code);
  const folder = await a.sync.addFolder('Acme', '/sim/a-docs', 'Docs');
  return { a, b, folder };
}

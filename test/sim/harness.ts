import { ManualClock } from '../../src/adapters/clock/manual-clock.js';
import { MemoryFs, MemoryWatcher } from '../../src/adapters/fs-memory/index.js';
import { onTestFailed } from 'vitest';
import { MemoryNetworkHub, MessageScheduler } from '../../src/adapters/network-memory/index.js';
import { createMemoryStore } from '../../src/adapters/store-memory/index.js';
import { generateKeyPair } from '../../src/core/crypto.js';
import { AgoraNode } from '../../src/node/agora-node.js';
import type { Logger } from '../../src/ports/logger.js';
import { waitFor } from '../helpers/wait.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** AGORA_SIM_SEED replays a run; otherwise a fresh seed, printed when the test fails. */
function simulationSeed(): number {
  const fromEnv = process.env.AGORA_SIM_SEED;
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) : MessageScheduler.randomSeed();
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
  readonly hub = new MemoryNetworkHub({ scheduler: new MessageScheduler({ seed: simulationSeed(), maxBatch: 4 }) });
  readonly clock = new ManualClock();
  readonly nodes: AgoraNode[] = [];
  /** Each node's disk. */
  readonly disks = new Map<AgoraNode, MemoryFs>();

  async node(name: string): Promise<AgoraNode> {
    const keyPair = generateKeyPair();
    const disk = new MemoryFs({ now: () => this.clock.now() });
    const node = new AgoraNode({
      identity: { keyPair, deviceId: keyPair.publicKey.toString('hex'), name },
      store: createMemoryStore(),
      network: this.hub.createNetwork({ keyPair }),
      clock: this.clock,
      logger: silent,
      defaultSpaceDir: (space) => `/sim/${name}/${space}`,
      fs: disk,
      watcher: new MemoryWatcher(disk),
    });
    await node.start();
    this.nodes.push(node);
    this.disks.set(node, disk);
    return node;
  }

  disk(node: AgoraNode): MemoryFs {
    const disk = this.disks.get(node);
    if (!disk) throw new Error('not a node of this simulation');
    return disk;
  }

  /** Advances simulated time in small steps while real I/O callbacks run, until the condition holds. */
  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitFor(condition, what, timeoutMs, () => this.clock.advance(250));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

import { ManualClock } from '../../src/adapters/clock/manual-clock.js';
import { MemoryNetworkHub } from '../../src/adapters/network-memory/index.js';
import { createMemoryStore } from '../../src/adapters/store-memory/index.js';
import { generateKeyPair } from '../../src/core/crypto.js';
import { AgoraNode } from '../../src/node/agora-node.js';
import type { Logger } from '../../src/ports/logger.js';
import { waitFor } from '../helpers/wait.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

/** Several nodes in one process over the memory network, on one manual clock. */
export class Simulation {
  readonly hub = new MemoryNetworkHub();
  readonly clock = new ManualClock();
  readonly nodes: AgoraNode[] = [];

  async node(name: string): Promise<AgoraNode> {
    const keyPair = generateKeyPair();
    const node = new AgoraNode({
      identity: { keyPair, deviceId: keyPair.publicKey.toString('hex'), name },
      store: createMemoryStore(),
      network: this.hub.createNetwork({ keyPair }),
      clock: this.clock,
      logger: silent,
      defaultSpaceDir: (space) => `/sim/${name}/${space}`,
    });
    await node.start();
    this.nodes.push(node);
    return node;
  }

  /** Advances simulated time in small steps while real I/O callbacks run, until the condition holds. */
  until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    return waitFor(condition, what, timeoutMs, () => this.clock.advance(250));
  }

  async close(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}

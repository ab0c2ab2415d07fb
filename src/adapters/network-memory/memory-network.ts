import { throwIfAborted } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type {
  DhtStatus,
  Firewall,
  KeeperContact,
  KeeperOffer,
  KeyPair,
  NetworkDiagnosis,
  NetworkPort,
  PeerConnection,
} from '../../ports/network.js';
import { toDeviceId } from '../network-common/ids.js';
import { Listeners } from '../network-common/listeners.js';
import { noopLogger } from '../network-common/noop-logger.js';
import type { StreamPeerConnection } from '../network-common/stream-connection.js';

export interface MemoryNetworkOptions {
  keyPair: KeyPair;
  logger?: Logger;
  /** Simulates a keeper: what keeperOffer() returns (memory has no DHT or relay to run). */
  keeperOffer?: KeeperOffer;
}

/** What a MemoryNetwork needs from its hub; keeps the two files from knowing each other's insides. */
export interface MemoryHubLink {
  dial(
    from: MemoryNetwork,
    remoteId: string,
    addresses: readonly string[],
    signal?: AbortSignal,
  ): Promise<PeerConnection>;
  unregister(network: MemoryNetwork): void;
}

export const MEMORY_ADDRESS_PREFIX = 'mem:';

/**
 * One node's view of the in-process network. Reachable at `mem:<id>` once started;
 * every connection is set up by the hub, which also applies partitions and crashes.
 */
export class MemoryNetwork implements NetworkPort {
  readonly id: string;
  readonly logger: Logger;
  private started = false;
  private closed = false;
  // Nobody gets in until the core says who may.
  private firewall: Firewall = () => false;
  private readonly connections = new Set<StreamPeerConnection>();
  private readonly connectionListeners: Listeners<PeerConnection>;

  constructor(
    private readonly hub: MemoryHubLink,
    options: MemoryNetworkOptions,
  ) {
    this.id = toDeviceId(options.keyPair.publicKey);
    this.logger = (options.logger ?? noopLogger).child({ network: 'memory' });
    this.connectionListeners = new Listeners(this.logger, 'connection');
    this.offer = options.keeperOffer ?? null;
  }

  private readonly offer: KeeperOffer | null;

  /** True while other nodes can dial this one. */
  get listening(): boolean {
    return this.started && !this.closed;
  }

  async start(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.closed) throw new Error('MemoryNetwork: start() after close().');
    this.started = true;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.hub.unregister(this);
    for (const conn of [...this.connections]) conn.close();
    this.connectionListeners.clear();
  }

  addresses(): string[] {
    return [MEMORY_ADDRESS_PREFIX + this.id];
  }

  dhtStatus(): DhtStatus {
    return 'disabled';
  }

  onDhtStatus(_listener: (status: DhtStatus) => void): void {
    // There is no DHT: the status never changes.
  }

  setFirewall(firewall: Firewall): void {
    this.firewall = firewall;
  }

  onConnection(listener: (conn: PeerConnection) => void): void {
    this.connectionListeners.add(listener);
  }

  dial(remoteId: string, addresses: readonly string[], signal?: AbortSignal): Promise<PeerConnection> {
    return this.hub.dial(this, remoteId, addresses, signal);
  }

  joinTopic(_topic: Buffer): void {
    // No discovery in memory: simulations dial by address.
  }

  leaveTopic(_topic: Buffer): void {}

  /** The keepers the core handed over; memory has no DHT or relay, so they are only remembered. */
  keepers: readonly KeeperContact[] = [];

  async useKeepers(keepers: readonly KeeperContact[]): Promise<void> {
    this.keepers = [...keepers];
  }

  keeperOffer(): KeeperOffer | null {
    return this.offer;
  }

  async diagnose(signal?: AbortSignal): Promise<NetworkDiagnosis> {
    throwIfAborted(signal);
    return {
      dht: 'disabled',
      dhtNodes: 0,
      nat: 'unknown',
      publicAddress: null,
      keepers: this.keepers.map((k) => ({ deviceId: k.deviceId, address: k.dht[0] ?? '', reachable: false, rttMs: null })),
      mdns: false,
      relayServing: false,
    };
  }

  /** Asked by the hub when `dialerId` knocks; a throwing firewall refuses. */
  admits(dialerId: string): boolean {
    if (!this.listening) return false;
    try {
      return this.firewall(dialerId);
    } catch (err) {
      this.logger.error({ err, peer: dialerId }, 'firewall threw; refusing the peer');
      return false;
    }
  }

  /** Takes ownership of a new connection of this node and announces it. */
  attach(conn: StreamPeerConnection): void {
    this.connections.add(conn);
    conn.onClose(() => this.connections.delete(conn));
    this.connectionListeners.emit(conn);
  }
}

import type Protomux from 'protomux';

/** How the bytes of a connection travel. */
export type Transport = 'tcp' | 'udx' | 'relay' | 'memory';

/** Ed25519 key pair; the public key is the device id (hex). */
export interface KeyPair {
  publicKey: Buffer;
  secretKey: Buffer;
}

/**
 * One encrypted, authenticated connection to a peer whose public key is known.
 * Every protocol runs on its own protomux channel over `mux`.
 */
export interface PeerConnection {
  /** Remote device id: hex of its Ed25519 public key, checked by the Noise handshake. */
  readonly remoteId: string;
  /** True if this side opened the connection. */
  readonly initiator: boolean;
  readonly transport: Transport;
  /** False when the bytes pass through a relay. */
  readonly direct: boolean;
  /** "host:port" of the remote end, when the transport has one. */
  readonly remoteAddress: string | null;
  readonly mux: Protomux;
  /** True once close() was called or the connection ended; onClose listeners run when it has ended. */
  readonly closed: boolean;
  /** Closes the connection; idempotent. */
  close(reason?: Error): void;
  /** Called once when the connection closes, for any reason (also if already closed). */
  onClose(listener: (reason: Error | null) => void): void;
}

/**
 * 'online': DHT nodes answer. 'offline': none does (also while the first verdict is pending,
 * a few seconds after start). 'disabled': the adapter runs without a DHT.
 */
export type DhtStatus = 'online' | 'offline' | 'disabled';

/**
 * Decides, from the remote public key alone, whether a connection may be set up at all.
 * Called before any channel exists; a refused peer gets nothing but a closed socket.
 * Asked for every inbound connection and every peer found on a topic, each time anew;
 * not for dial(), where the caller already chose the peer.
 */
export type Firewall = (remoteId: string) => boolean;

/** A keeper as members know it from a space log (or an invite). */
export interface KeeperContact {
  deviceId: string;
  /** Its DHT node(s), "host:port": a bootstrap for this node. */
  dht: readonly string[];
  /** Public key (hex) of its blind relay. */
  relay: string;
}

/** What this node offers when it runs as a keeper: what it announces in the space log. */
export interface KeeperOffer {
  dht: string[];
  tcp: string[];
  relay: string;
}

/**
 * How this node's network looks from inside (agora doctor). `nat`: 'open' = reachable
 * unsolicited; 'cone' = behind a NAT that keeps one public port per socket (hole punching
 * works); 'symmetric' = a new port per destination (punching fails when the other side is
 * symmetric too: a keeper's relay is needed); 'unknown' = the DHT could not tell.
 */
export interface NetworkDiagnosis {
  dht: DhtStatus;
  dhtNodes: number;
  nat: 'open' | 'cone' | 'symmetric' | 'unknown';
  /** Our address as DHT nodes see it ("host:port"; port 0 when it changes per destination). */
  publicAddress: string | null;
  /** Each known keeper's DHT node: whether it answers a ping, and how fast. */
  keepers: { deviceId: string; address: string; reachable: boolean; rttMs: number | null }[];
  mdns: boolean;
  relayServing: boolean;
}

export interface DialOptions {
  /** false: direct addresses only, no DHT (upgrading a punched or relayed connection to TCP). */
  dht?: boolean;
  /** false: never through a keeper's relay (trying to move a relayed connection to a direct path). */
  relay?: boolean;
}

export interface NetworkPort {
  /** Opens listeners and the DHT. Resolves once listening; never waits for the DHT to be reachable. */
  start(signal?: AbortSignal): Promise<void>;
  /** Closes every connection and listener. */
  close(): Promise<void>;
  /** Addresses other nodes can dial directly ("host:port" for TCP, adapter-specific otherwise). */
  addresses(): string[];
  dhtStatus(): DhtStatus;
  /** Called with the first verdict after start (even 'offline'), then with each change, never twice in a row. */
  onDhtStatus(listener: (status: DhtStatus) => void): void;
  /** Until this is called, every peer is refused. */
  setFirewall(firewall: Firewall): void;
  /** Every new connection, inbound or outbound (dialled ones too), after the firewall admitted it. */
  onConnection(listener: (conn: PeerConnection) => void): void;
  /**
   * Connects to the device `remoteId`: tries each direct address, then (if the DHT is enabled)
   * the DHT by public key. Rejects with a typed error if nothing reached it; the remote key
   * is always verified, so an address that answers with another key is a failure.
   */
  dial(remoteId: string, addresses: readonly string[], signal?: AbortSignal, options?: DialOptions): Promise<PeerConnection>;
  /**
   * Announce on and look up a 32-byte discovery topic (no-op without a DHT). Peers found
   * there, if the firewall admits them, arrive through onConnection.
   */
  joinTopic(topic: Buffer): void;
  leaveTopic(topic: Buffer): void;
  /**
   * The keepers this node may use (replaces the previous list): their DHT nodes become
   * bootstrap nodes, their relays carry connections that no hole punch can make.
   */
  useKeepers(keepers: readonly KeeperContact[]): Promise<void>;
  /** Non-null when this node runs as a keeper (DHT node for others, relay). */
  keeperOffer(): KeeperOffer | null;
  diagnose(signal?: AbortSignal): Promise<NetworkDiagnosis>;
}

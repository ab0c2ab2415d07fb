import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';
import type { HostPort } from './addresses.js';

export interface SwarmNetworkTimeouts {
  /** Per direct address tried by dial(). */
  dialAttemptMs: number;
  /** For the DHT attempt of dial() (lookup, hole punch, handshake). */
  dhtDialMs: number;
  /** An idle connection sends an empty message this often. */
  keepAliveMs: number;
  /** A connection that hears nothing for this long is considered dead and closed. */
  idleMs: number;
  /** An inbound TCP socket must finish the Noise handshake within this. */
  handshakeMs: number;
  /** With no DHT node answering by then, the status turns 'offline'. */
  dhtOfflineAfterMs: number;
  /** close() waits at most this long for the DHT to unannounce us. */
  dhtGracefulCloseMs: number;
  /**
   * A topic is looked up once more this long after joining: two nodes that join within the
   * same second miss each other's announcement, and hyperswarm itself looks again only
   * every ~10 minutes.
   */
  topicRecheckMs: number;
}

export const DEFAULT_TIMEOUTS: SwarmNetworkTimeouts = {
  dialAttemptMs: 5_000,
  dhtDialMs: 10_000,
  keepAliveMs: 5_000,
  // Three missed keep-alives: a crashed peer is noticed in 15–20 s.
  idleMs: 15_000,
  handshakeMs: 10_000,
  dhtOfflineAfterMs: 3_000,
  dhtGracefulCloseMs: 2_000,
  topicRecheckMs: 10_000,
};

/** Low-level HyperDHT socket settings; the defaults suit a PC behind a home or office router. */
export interface DhtSocketOptions {
  /**
   * UDP address to bind. Default: 127.0.0.1 when every bootstrap node is on loopback (a
   * loopback DHT cannot reach anything else, and hyperdht's server side never completes
   * between loopback peers bound to 0.0.0.0), else 0.0.0.0.
   */
  host?: string;
  /** UDP port; default hyperdht's 49737, or any free port if taken. */
  port?: number;
  /**
   * Whether this node assumes it cannot be reached unsolicited. Default: hyperdht finds out.
   * Set false on a LAN without internet, where connections between private addresses open
   * but carry no data otherwise (see research/network.md).
   */
  firewalled?: boolean;
}

export interface SwarmNetworkOptions {
  /** This device's Ed25519 key pair; the same key authenticates TCP and DHT connections. */
  keyPair: KeyPair;
  /** Where the TCP fast path listens; port 0 picks a free port. Default 0.0.0.0:0. */
  listen?: HostPort;
  /**
   * HyperDHT bootstrap nodes as "host:port". null disables the DHT (direct TCP only).
   * No default on purpose: the node layer passes the public list when the user gives none.
   */
  bootstrap: readonly string[] | null;
  dht?: DhtSocketOptions;
  /** LAN discovery over mDNS (TCP addresses of members on the same network). */
  mdns?: boolean;
  /**
   * Run as a keeper: a full DHT node on `dhtPort` that members use as bootstrap, and a blind
   * relay. `publicHost` is the name or address members reach it at (default: its own addresses).
   */
  keeper?: { dhtPort: number; publicHost?: string };
  logger?: Logger;
  timeouts?: Partial<SwarmNetworkTimeouts>;
}

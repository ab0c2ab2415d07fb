import type NoiseSecretStream from '@hyperswarm/secret-stream';
import HyperDHT from 'hyperdht';
import Hyperswarm, { type PeerDiscoverySession, type PeerInfo } from 'hyperswarm';
import { getStreamError } from 'streamx';
import { PeerUnreachableError } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';
import { shortId, toDeviceId } from '../network-common/ids.js';
import { formatHostPort, parseHostPort } from './addresses.js';
import { DhtStatusTracker, type DhtReachability } from './dht-status.js';
import type { DhtSocketOptions } from './options.js';
import { keepAlive, type Liveness } from './secure-stream.js';

export interface DhtTransportOptions {
  keyPair: KeyPair;
  bootstrap: readonly string[];
  socket: DhtSocketOptions;
  liveness: Liveness;
  topicRecheckMs: number;
  offlineAfterMs: number;
  /** How long close() lets hyperswarm unannounce before cutting the DHT off. */
  gracefulCloseMs: number;
  logger: Logger;
  admit(remoteId: string): boolean;
  onConnection(stream: NoiseSecretStream, remoteAddress: () => string | null): void;
  onStatus(status: DhtReachability): void;
  /** Public keys of the keepers' relays this node may use (empty: none known). */
  relays(): Buffer[];
  /** Run as a keeper: a full DHT node others bootstrap from, on a fixed port. */
  keeper: boolean;
  /**
   * A keeper also runs this many more DHT nodes, on the next UDP ports, bootstrapped from the
   * first at `keeperHost`: hole punching needs several DHT nodes to size up each NAT (with one
   * node hyperdht aborts every punch; measured in the NAT lab: 3 nodes are enough).
   */
  keeperExtraNodes: number;
  keeperHost: string | null;
}

/** hyperdht's verdicts after which only a relay can join two peers (hyperswarm forces relaying on these too). */
const RELAY_AFTER = new Set(['HOLEPUNCH_ABORTED', 'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS', 'CANNOT_HOLEPUNCH', 'REMOTE_NOT_HOLEPUNCHABLE']);

/** Discovery by topic and connection by public key through HyperDHT (hole punching included). */
export class DhtTransport {
  private readonly swarm: Hyperswarm;
  private readonly tracker: DhtStatusTracker;
  private readonly dialling = new Set<NoiseSecretStream>();
  private readonly extraNodes: HyperDHT[] = [];
  private readonly topics = new Map<string, { session: PeerDiscoverySession; recheck: NodeJS.Timeout | null }>();
  private closing: Promise<void> | null = null;

  constructor(private readonly options: DhtTransportOptions) {
    const { keyPair, liveness, socket } = options;
    const dhtOptions = {
      // Always explicit: left undefined, hyperdht would silently use the public nodes.
      bootstrap: [...options.bootstrap],
      keyPair,
      // Our idle timeout relies on the remote sending keep-alives at our pace.
      connectionKeepAlive: liveness.keepAliveMs,
      host: socket.host ?? (allLoopback(options.bootstrap) ? '127.0.0.1' : undefined),
      ...(socket.port === undefined ? {} : { port: socket.port }),
      ...(socket.firewalled === undefined ? {} : { firewalled: socket.firewalled }),
    };
    // A keeper is a full node at a fixed, announced port that others bootstrap from; told its
    // public address up front (it may know no other node to learn it from), as hyperdht's own
    // bootstrap nodes are. Without that, hole punches relayed through it fail.
    const dht =
      options.keeper && options.keeperHost !== null && socket.port !== undefined
        ? HyperDHT.bootstrapper(socket.port, options.keeperHost, { ...dhtOptions, host: socket.host ?? '0.0.0.0' })
        : new HyperDHT({ ...dhtOptions, ...(options.keeper ? { ephemeral: false, firewalled: false, anyPort: false } : {}) });
    this.swarm = new Hyperswarm({
      keyPair,
      dht,
      // Hyperswarm's firewall returns true to reject.
      firewall: (remotePublicKey) => !options.admit(toDeviceId(remotePublicKey)),
      relayThrough: (force, swarm) => this.relaysFor(force || swarm.dht.randomized),
    });
    this.swarm.on('connection', (conn) => this.onSwarmConnection(conn));
    this.swarm.on('ban', (info) => this.forgive(info));
    this.tracker = new DhtStatusTracker(dht, options.offlineAfterMs, (status) => {
      // Lookups made while offline found nothing, and hyperswarm would not look again for minutes.
      if (status === 'online') this.refreshTopics();
      options.onStatus(status);
    });
  }

  get status(): DhtReachability {
    return this.tracker.status;
  }

  get decided(): boolean {
    return this.tracker.decided;
  }

  firstVerdict(): Promise<DhtReachability> {
    return this.tracker.firstVerdict;
  }

  get dht(): HyperDHT {
    return this.swarm.dht;
  }

  /**
   * Adds keepers' DHT nodes as bootstrap nodes of the running DHT. A node that could reach no
   * bootstrap (public ones unreachable, or none given) becomes usable as soon as one answers.
   */
  addBootstrap(nodes: readonly string[]): void {
    if (this.closing !== null) return;
    const dht = this.swarm.dht;
    let added = false;
    for (const address of nodes) {
      const node = parseHostPort(address);
      if (node === null || dht.bootstrapNodes.some((b) => b.host === node.host && b.port === node.port)) continue;
      dht.bootstrapNodes.push(node);
      dht.addNode(node);
      added = true;
    }
    if (added) dht.refresh();
  }

  /** The relays to use, if `wanted` and any are known. */
  private relaysFor(wanted: boolean): Buffer[] | null {
    if (!wanted) return null;
    const relays = this.options.relays();
    return relays.length > 0 ? relays : null;
  }

  /** Binds the DHT and announces our key in the background; never waits for the network. */
  start(): void {
    this.tracker.start();
    this.startExtraNodes();
    this.swarm.listen().catch((err: unknown) => this.options.logger.debug({ err }, 'dht: announcing our key failed'));
  }

  join(topic: Buffer): void {
    const key = topic.toString('hex');
    if (this.closing !== null || this.topics.has(key)) return;
    const session = this.swarm.join(topic, { server: true, client: true });
    const entry = { session, recheck: null as NodeJS.Timeout | null };
    this.topics.set(key, entry);
    const recheck = (): void => {
      if (this.topics.get(key) !== entry) return;
      entry.recheck = setTimeout(() => {
        entry.recheck = null;
        if (this.topics.get(key) === entry) this.refresh(entry.session);
      }, this.options.topicRecheckMs);
      entry.recheck.unref();
    };
    // flushed() rejects when announcing failed (DHT destroyed, offline): recheck all the same.
    session.flushed().then(recheck, recheck);
  }

  leave(topic: Buffer): void {
    const key = topic.toString('hex');
    const entry = this.topics.get(key);
    if (entry === undefined || this.closing !== null) return;
    this.topics.delete(key);
    if (entry.recheck !== null) clearTimeout(entry.recheck);
    this.swarm.leave(topic).catch((err: unknown) => this.options.logger.debug({ err }, 'dht: leaving a topic failed'));
  }

  /**
   * Connects by public key, hole punching if needed. Bypasses hyperswarm's peer queue (and
   * its retries and bans) on purpose: the caller bounds this attempt and decides what next.
   */
  async dial(remoteId: string, signal: AbortSignal, options: { relay?: boolean } = {}): Promise<NoiseSecretStream> {
    if (options.relay === false) return this.dialOnce(remoteId, null, signal);
    // Through a relay at once when our NAT is symmetric; else punch first, and relay when that
    // cannot work. (Relaying every dial from the start, letting hyperdht upgrade it, measured no
    // faster in the NAT lab: see docs/connectivity.md.)
    try {
      return await this.dialOnce(remoteId, this.relaysFor(this.swarm.dht.randomized), signal);
    } catch (err) {
      const code = causeCode(err);
      const relays = this.relaysFor(code !== null && RELAY_AFTER.has(code));
      if (relays === null || signal.aborted) throw err;
      this.options.logger.debug({ peer: shortId(remoteId), code }, 'dht: no hole punch; trying through a relay');
      return this.dialOnce(remoteId, relays, signal);
    }
  }

  private async dialOnce(remoteId: string, relayThrough: Buffer[] | null, signal: AbortSignal): Promise<NoiseSecretStream> {
    if (this.closing !== null) throw new PeerUnreachableError('The network is closed.');
    const stream = this.swarm.dht.connect(Buffer.from(remoteId, 'hex'), { keyPair: this.options.keyPair, relayThrough });
    stream.on('error', (err: unknown) => this.options.logger.debug({ err, peer: remoteId }, 'dht: dial error'));
    this.dialling.add(stream);
    const onAbort = (): void => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await stream.opened)) {
        const cause = getStreamError(stream);
        throw new PeerUnreachableError(cause?.message ?? 'connection closed', cause ?? undefined);
      }
      // hyperdht pins the remote key in the handshake (Noise IK); checked again all the same.
      const actual = toDeviceId(stream.remotePublicKey ?? Buffer.alloc(0));
      if (actual !== remoteId) throw new PeerUnreachableError(`device ${shortId(actual)} answered`);
      if (this.closing !== null) throw new PeerUnreachableError('The network is closed.');
      keepAlive(stream, this.options.liveness);
      return stream;
    } catch (err) {
      stream.destroy();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
      this.dialling.delete(stream);
    }
  }

  /** Unannounces politely if that is quick, then tears the DHT down; open connections die with it. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private startExtraNodes(): void {
    const { keeper, keeperExtraNodes, keeperHost, socket, logger } = this.options;
    const first = socket.port;
    if (!keeper || keeperHost === null || first === undefined) return;
    for (let i = 1; i <= keeperExtraNodes; i++) {
      const node = HyperDHT.bootstrapper(first + i, keeperHost, { host: socket.host ?? '0.0.0.0', bootstrap: [{ host: keeperHost, port: first }] });
      node.on('error', (err: unknown) => logger.warn({ err, port: first + i }, 'keeper: extra DHT node failed'));
      node.ready().catch((err: unknown) => logger.warn({ err, port: first + i }, 'keeper: extra DHT node could not start'));
      this.extraNodes.push(node);
    }
  }

  private refreshTopics(): void {
    for (const { session } of this.topics.values()) this.refresh(session);
  }

  private refresh(session: PeerDiscoverySession): void {
    if (this.closing !== null) return;
    session.refresh().catch((err: unknown) => this.options.logger.debug({ err }, 'dht: topic refresh failed'));
  }

  private async shutdown(): Promise<void> {
    for (const { recheck } of this.topics.values()) if (recheck !== null) clearTimeout(recheck);
    this.topics.clear();
    const wasOnline = this.tracker.status === 'online';
    this.tracker.stop();
    for (const stream of this.dialling) stream.destroy();
    const graceful = this.swarm.destroy().catch((err: unknown) => this.options.logger.debug({ err }, 'dht: close'));
    if (wasOnline) {
      let timer: NodeJS.Timeout | undefined;
      const cutOff = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, this.options.gracefulCloseMs);
      });
      await Promise.race([graceful, cutOff]);
      clearTimeout(timer);
    }
    // Unannouncing to an unreachable DHT waits for request timeouts; forcing ends those at once.
    await this.swarm.dht.destroy({ force: true });
    await Promise.all(this.extraNodes.map((n) => n.destroy({ force: true }).catch(() => {})));
    await graceful;
  }

  private onSwarmConnection(conn: NoiseSecretStream): void {
    conn.on('error', (err: unknown) => this.options.logger.debug({ err }, 'dht: connection error'));
    if (this.closing !== null) {
      conn.destroy();
      return;
    }
    keepAlive(conn, this.options.liveness);
    this.options.onConnection(conn, () => udxAddress(conn));
  }

  /**
   * Hyperswarm bans a peer for good once the firewall refused it. Our firewall changes as
   * people join spaces, so the refusal must not outlive the call: lift the ban and forget the
   * peer record (so that refused strangers cannot grow the table either).
   */
  private forgive(info: PeerInfo): void {
    info.ban(false);
    if (info.shouldGC()) this.swarm.peers.delete(toDeviceId(info.publicKey));
  }
}

function causeCode(err: unknown): string | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && RELAY_AFTER.has(code)) return code;
  }
  return null;
}

function allLoopback(nodes: readonly string[]): boolean {
  return nodes.length > 0 && nodes.every((node) => parseHostPort(node)?.host.startsWith('127.') === true);
}

/** Where the udx stream goes; known only once hyperdht has connected it (after any hole punch). */
export function udxAddress(conn: NoiseSecretStream): string | null {
  const raw = conn.rawStream;
  const host = raw?.remoteHost;
  const port = raw?.remotePort;
  return typeof host === 'string' && host !== '' && typeof port === 'number' && port > 0
    ? formatHostPort(host, port)
    : null;
}

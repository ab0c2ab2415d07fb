import { isIP } from 'node:net';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { AbortedError, BadRequestError, PeerUnreachableError, throwIfAborted } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type {
  DhtStatus,
  DialOptions,
  Firewall,
  KeeperContact,
  KeeperOffer,
  NetworkDiagnosis,
  NetworkPort,
  PeerConnection,
  Transport,
} from '../../ports/network.js';
import { withDeadline } from '../network-common/deadline.js';
import { isDeviceId, shortId, toDeviceId } from '../network-common/ids.js';
import { Listeners } from '../network-common/listeners.js';
import { noopLogger } from '../network-common/noop-logger.js';
import { StreamPeerConnection, type ConnectionInfo } from '../network-common/stream-connection.js';
import { dialableAddresses, formatHostPort, lanIpv4s, parseHostPort } from './addresses.js';
import { diagnose } from './diagnose.js';
import { DHT_HEAD_START_MS, raceDials, type DialAttempt } from './dial-race.js';
import { KeeperRelay } from './keeper-relay.js';
import { MdnsDiscovery, type MdnsPeer } from './mdns-discovery.js';
import { DhtTransport, udxAddress, type DhtTransportOptions } from './dht-transport.js';
import { DEFAULT_TIMEOUTS, type SwarmNetworkOptions, type SwarmNetworkTimeouts } from './options.js';
import { TcpTransport } from './tcp-transport.js';

/**
 * The real network: a TCP fast path (Noise over TCP) plus Hyperswarm/HyperDHT for discovery
 * and hole punching. Both deliver connections authenticated by the same device key, through
 * the same firewall. Connections to one peer are not deduplicated here: the core decides.
 */
export class SwarmNetwork implements NetworkPort {
  private readonly id: string;
  private readonly logger: Logger;
  private readonly timeouts: SwarmNetworkTimeouts;
  private readonly tcp: TcpTransport;
  /** Created by start(): hyperdht binds sockets and starts bootstrapping as soon as it exists. */
  private dht: DhtTransport | null = null;
  private dhtOptions: DhtTransportOptions | null;
  /** DHTs replaced by one that bootstraps from newly learned keepers, still closing. */
  private readonly retiring = new Set<DhtTransport>();
  private readonly topics = new Map<string, Buffer>();
  private readonly connections = new Set<StreamPeerConnection>();
  private readonly connectionListeners: Listeners<PeerConnection>;
  private readonly statusListeners: Listeners<DhtStatus>;
  // Nobody gets in until the core says who may.
  private firewall: Firewall = () => false;
  private keepers: readonly KeeperContact[] = [];
  private readonly keeperOptions: SwarmNetworkOptions['keeper'];
  private relay: KeeperRelay | null = null;
  private mdnsDiscovery: MdnsDiscovery | null = null;
  private readonly mdnsDialing = new Set<string>();
  private readonly keyPair: SwarmNetworkOptions['keyPair'];
  private readonly mdns: boolean;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(options: SwarmNetworkOptions) {
    this.id = toDeviceId(options.keyPair.publicKey);
    const badNode = options.bootstrap?.find((node) => parseHostPort(node) === null);
    if (badNode !== undefined) throw new BadRequestError(`Bootstrap node "${badNode}" is not host:port.`);
    this.logger = (options.logger ?? noopLogger).child({ network: 'swarm' });
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.keeperOptions = options.keeper;
    this.keyPair = options.keyPair;
    this.mdns = options.mdns ?? false;
    this.connectionListeners = new Listeners(this.logger, 'connection');
    this.statusListeners = new Listeners(this.logger, 'dht status');
    const liveness = { keepAliveMs: this.timeouts.keepAliveMs, idleMs: this.timeouts.idleMs };
    const admit = (remoteId: string): boolean => this.admits(remoteId);

    this.tcp = new TcpTransport({
      keyPair: options.keyPair,
      listen: options.listen ?? { host: '0.0.0.0', port: 0 },
      liveness,
      handshakeTimeoutMs: this.timeouts.handshakeMs,
      logger: this.logger,
      admit,
      onAccepted: (stream, remoteId, address) => this.adopt(stream, remoteId, false, 'tcp', address),
    });
    this.dhtOptions =
      options.bootstrap === null
        ? null
        : {
            keyPair: options.keyPair,
            bootstrap: options.bootstrap,
            socket: options.keeper ? { ...options.dht, port: options.keeper.dhtPort } : (options.dht ?? {}),
            keeper: options.keeper !== undefined,
            keeperExtraNodes: KEEPER_EXTRA_DHT_NODES,
            keeperHost: options.keeper ? keeperIpv4(options.keeper.publicHost) : null,
            relays: () => this.relayKeys(),
            liveness,
            topicRecheckMs: this.timeouts.topicRecheckMs,
            offlineAfterMs: this.timeouts.dhtOfflineAfterMs,
            gracefulCloseMs: this.timeouts.dhtGracefulCloseMs,
            logger: this.logger,
            admit,
            onConnection: (stream, address) => {
              const remoteId = toDeviceId(stream.remotePublicKey ?? Buffer.alloc(0));
              this.adopt(stream, remoteId, stream.isInitiator, 'udx', address);
            },
            onStatus: (status) => {
              this.statusListeners.emit(status);
              if (status === 'offline') queueMicrotask(() => this.restartDhtWithKeepers());
            },
          };
  }

  async start(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    if (this.closing !== null) throw new Error('SwarmNetwork: start() after close().');
    if (this.started) return;
    this.started = true;
    try {
      await this.tcp.listen();
    } catch (err) {
      this.started = false;
      throw err;
    }
    if (this.closing !== null) throw new PeerUnreachableError('The network was closed while starting.');
    if (signal?.aborted) {
      await this.close();
      throw new AbortedError();
    }
    this.startMdns();
    if (this.dhtOptions !== null) {
      this.dhtOptions = { ...this.dhtOptions, bootstrap: this.bootstrapWithKeepers(this.dhtOptions.bootstrap) };
      this.startDht(this.dhtOptions);
      if (this.keeperOptions && this.dht !== null) {
        this.relay = new KeeperRelay(this.dht.dht, this.keyPair, this.logger);
        await this.relay.start();
      }
    }
    const address = this.tcp.address();
    this.logger.info({ id: shortId(this.id), tcp: address, dht: this.dht !== null }, 'network started');
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  addresses(): string[] {
    const address = this.tcp.address();
    return address === null || this.closing !== null ? [] : dialableAddresses(address.host, address.port);
  }

  dhtStatus(): DhtStatus {
    if (this.dhtOptions === null) return 'disabled';
    return this.dht?.status ?? 'offline';
  }

  onDhtStatus(listener: (status: DhtStatus) => void): void {
    this.statusListeners.add(listener);
  }

  setFirewall(firewall: Firewall): void {
    this.firewall = firewall;
  }

  onConnection(listener: (conn: PeerConnection) => void): void {
    this.connectionListeners.add(listener);
  }

  async dial(remoteId: string, addresses: readonly string[], signal?: AbortSignal, options?: DialOptions): Promise<PeerConnection> {
    throwIfAborted(signal);
    if (!isDeviceId(remoteId)) throw new BadRequestError(`Not a device id: "${remoteId}".`);
    if (!this.started || this.closing !== null) {
      throw new PeerUnreachableError('The network is not started or already closed.');
    }
    if (remoteId === this.id) throw new PeerUnreachableError('Cannot dial this device itself.');

    const useDht = this.dht !== null && options?.dht !== false;
    const targets = addresses.map((address) => ({ address, target: parseHostPort(address) }));
    const failures = targets.filter((t) => t.target === null).map((t) => `${t.address}: not a host:port address`);
    const attempts: DialAttempt[] = targets.flatMap(({ address, target }) =>
      target === null
        ? []
        : [{
            label: address,
            kind: 'tcp' as const,
            run: async (s: AbortSignal) => {
              const stream = await withDeadline((d) => this.tcp.dial(remoteId, target, d), {
                timeoutMs: this.timeouts.dialAttemptMs,
                signal: s,
                what: `Dialling ${shortId(remoteId)} at ${address}`,
              });
              return { stream, transport: 'tcp' as const, address: address as ConnectionInfo['remoteAddress'] };
            },
          }],
    );
    const dht = this.dht;
    if (useDht && dht !== null) {
      attempts.push({
        label: 'DHT',
        kind: 'dht',
        run: async (s: AbortSignal) => {
          const stream = await withDeadline((d) => dht.dial(remoteId, d, { relay: options?.relay !== false }), {
            timeoutMs: this.timeouts.dhtDialMs,
            signal: s,
            what: `Looking up ${shortId(remoteId)} on the DHT`,
          });
          return { stream, transport: 'udx' as const, address: () => udxAddress(stream) };
        },
      });
    }
    if (attempts.length === 0) {
      const why = failures.length > 0 ? failures.join('; ') : 'no address given and no DHT';
      throw new PeerUnreachableError(`Could not reach ${shortId(remoteId)} (${why}).`);
    }
    const won = await raceDials(attempts, DHT_HEAD_START_MS, signal, failures);
    if (won === null) {
      this.logger.debug({ peer: remoteId, failures }, 'dial failed');
      throw new PeerUnreachableError(`Could not reach ${shortId(remoteId)} (${failures.join('; ')}).`, undefined, failures);
    }
    return this.dialled(won.stream, remoteId, won.transport, won.address, signal);
  }

  joinTopic(topic: Buffer): void {
    const key = topic.toString('hex');
    if (this.topics.has(key)) return;
    this.topics.set(key, Buffer.from(topic));
    this.dht?.join(topic);
    this.mdnsDiscovery?.setTopics([...this.topics.values()]);
  }

  leaveTopic(topic: Buffer): void {
    if (!this.topics.delete(topic.toString('hex'))) return;
    this.dht?.leave(topic);
    this.mdnsDiscovery?.setTopics([...this.topics.values()]);
  }

  useKeepers(keepers: readonly KeeperContact[]): Promise<void> {
    this.keepers = keepers.filter((k) => k.deviceId !== this.id);
    const options = this.dhtOptions;
    if (options === null || this.dht === null) return Promise.resolve();
    const bootstrap = this.bootstrapWithKeepers(options.bootstrap);
    if (bootstrap.length === options.bootstrap.length) return Promise.resolve();
    this.dhtOptions = { ...options, bootstrap };
    // A working DHT (it knows our NAT) just takes the keepers' nodes into its routing table;
    // one that reached nobody is restarted on them. The first seconds after start, before the
    // verdict, the caller (a join) waits for it.
    const dht = this.dht;
    const apply = (): void => {
      if (this.dht !== dht || this.closing !== null) return;
      if (dht.status === 'online') dht.addBootstrap(bootstrap);
      else this.restartDhtWithKeepers();
    };
    if (dht.decided) {
      apply();
      return Promise.resolve();
    }
    let timer: NodeJS.Timeout | undefined;
    const undecided = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.timeouts.dhtOfflineAfterMs + 1_000);
    });
    return Promise.race([dht.firstVerdict().then(() => undefined), undecided]).then(() => {
      clearTimeout(timer);
      apply();
    });
  }

  /**
   * A DHT that reached no node does not take new bootstrap nodes well (hyperdht samples our
   * NAT from bootstrap answers only at start): start a fresh one that bootstraps from the
   * keepers alone (the others did not answer, and a name that does not resolve costs DNS
   * timeouts on every bootstrap). A keeper never gets here (it is its own bootstrap).
   */
  private restartDhtWithKeepers(): void {
    const keeperNodes = this.bootstrapWithKeepers([]);
    if (this.dht === null || this.dhtOptions === null || this.closing !== null || keeperNodes.length === 0 || this.keeperOptions) return;
    if (this.dhtOptions.bootstrap.length === keeperNodes.length && this.dhtOptions.bootstrap.every((b) => keeperNodes.includes(b))) return;
    this.dhtOptions = { ...this.dhtOptions, bootstrap: keeperNodes };
    // The old one closes in the background: unannouncing to nodes that never answered takes
    // seconds, and the new one binds another UDP port if ours is still held.
    const old = this.dht;
    this.retiring.add(old);
    void old.close().finally(() => this.retiring.delete(old));
    this.logger.info({ bootstrap: keeperNodes }, 'dht: no DHT node answered; restarting with the keepers as bootstrap');
    this.startDht(this.dhtOptions);
  }

  private startDht(options: DhtTransportOptions): void {
    this.dht = new DhtTransport(options);
    this.dht.start();
    for (const topic of this.topics.values()) this.dht.join(topic);
  }

  private bootstrapWithKeepers(bootstrap: readonly string[]): string[] {
    return [...new Set([...bootstrap, ...this.keepers.flatMap((k) => k.dht)])];
  }

  keeperOffer(): KeeperOffer | null {
    const tcp = this.tcp.address();
    if (!this.keeperOptions || this.relay === null || tcp === null || this.closing !== null) return null;
    const { publicHost, dhtPort } = this.keeperOptions;
    const ports = Array.from({ length: 1 + KEEPER_EXTRA_DHT_NODES }, (_, i) => dhtPort + i);
    const dhtHosts = publicHost ? [publicHost] : lanIpv4s();
    return {
      dht: dhtHosts.flatMap((host) => ports.map((port) => formatHostPort(host, port))).slice(0, 8),
      tcp: publicHost ? [formatHostPort(publicHost, tcp.port)] : this.addresses().filter((a) => !a.startsWith('127.')),
      relay: this.relay.publicKey,
    };
  }

  diagnose(signal?: AbortSignal): Promise<NetworkDiagnosis> {
    return diagnose({
      dht: this.dht?.dht ?? null,
      status: this.dhtStatus(),
      keepers: this.keepers,
      mdns: this.mdnsDiscovery !== null,
      relayServing: this.relay !== null,
      signal,
    });
  }

  /**
   * LAN discovery: members on the same network find each other's TCP address over mDNS, with
   * no internet and no DHT. Pointless when we listen on loopback only.
   */
  private startMdns(): void {
    const address = this.tcp.address();
    if (!this.mdns || address === null || address.host.startsWith('127.') || address.host === '::1') return;
    this.mdnsDiscovery = new MdnsDiscovery({
      deviceId: this.id,
      port: () => this.tcp.address()?.port ?? null,
      logger: this.logger,
      onPeer: (peer) => this.onMdnsPeer(peer),
    });
    this.mdnsDiscovery.setTopics([...this.topics.values()]);
    this.mdnsDiscovery.start();
  }

  /** A member on the LAN: dial its TCP address (the handshake proves its key, the firewall decides). */
  private onMdnsPeer(peer: MdnsPeer): void {
    if (this.closing !== null || this.mdnsDialing.has(peer.deviceId) || !this.admits(peer.deviceId)) return;
    if ([...this.connections].some((c) => c.remoteId === peer.deviceId && !c.closed && c.transport === 'tcp')) return;
    this.mdnsDialing.add(peer.deviceId);
    this.dial(peer.deviceId, peer.addresses, undefined, { dht: false })
      .catch((err: unknown) => this.logger.debug({ err, peer: shortId(peer.deviceId) }, 'mdns: dial failed'))
      .finally(() => this.mdnsDialing.delete(peer.deviceId));
  }

  private relayKeys(): Buffer[] {
    return this.keepers.map((k) => Buffer.from(k.relay, 'hex'));
  }

  /**
   * How a udx connection travels now: through a keeper's relay while its remote end is a
   * keeper's DHT address (and the peer is not that keeper), directly once hole punching
   * moved it to the peer's own address.
   */
  private udxPath(stream: NoiseSecretStream, remoteId: string): { transport: Transport; direct: boolean; remoteAddress: string | null } {
    const remoteAddress = udxAddress(stream);
    const host = remoteAddress === null ? null : parseHostPort(remoteAddress)?.host;
    const relayed =
      host !== undefined && host !== null &&
      this.keepers.some((k) => k.deviceId !== remoteId && k.dht.some((a) => parseHostPort(a)?.host === host));
    return { transport: relayed ? 'relay' : 'udx', direct: !relayed, remoteAddress };
  }

  private admits(remoteId: string): boolean {
    if (this.closing !== null || remoteId === this.id) return false;
    try {
      return this.firewall(remoteId);
    } catch (err) {
      this.logger.error({ err, peer: remoteId }, 'firewall threw; refusing the peer');
      return false;
    }
  }

  /** A dial succeeded: unless it was cancelled meanwhile, it becomes a connection. */
  private dialled(
    stream: NoiseSecretStream,
    remoteId: string,
    transport: Transport,
    address: ConnectionInfo['remoteAddress'],
    signal: AbortSignal | undefined,
  ): PeerConnection {
    if (signal?.aborted || this.closing !== null) {
      stream.destroy();
      throw signal?.aborted ? new AbortedError() : new PeerUnreachableError('The network is closed.');
    }
    const conn = this.adopt(stream, remoteId, true, transport, address);
    if (conn === null) throw new PeerUnreachableError('The network is closed.');
    return conn;
  }

  private adopt(
    stream: NoiseSecretStream,
    remoteId: string,
    initiator: boolean,
    transport: Transport,
    remoteAddress: ConnectionInfo['remoteAddress'],
  ): StreamPeerConnection | null {
    if (this.closing !== null) {
      stream.destroy();
      return null;
    }
    const path = transport === 'udx' ? () => this.udxPath(stream, remoteId) : undefined;
    const conn = new StreamPeerConnection(
      stream,
      { remoteId, initiator, transport, direct: true, remoteAddress, ...(path ? { path } : {}) },
      this.logger,
    );
    this.connections.add(conn);
    conn.onClose((reason) => {
      this.connections.delete(conn);
      this.logger.debug({ peer: shortId(remoteId), transport, reason: reason?.message }, 'connection closed');
    });
    this.logger.debug(
      { peer: shortId(remoteId), transport, initiator, remoteAddress: conn.remoteAddress },
      'connection open',
    );
    this.connectionListeners.emit(conn);
    return conn;
  }

  private async shutdown(): Promise<void> {
    for (const conn of [...this.connections]) conn.close();
    await this.relay?.close();
    await Promise.all([this.tcp.close(), this.dht?.close(), this.mdnsDiscovery?.close(), ...[...this.retiring].map((d) => d.close())]);
    this.connectionListeners.clear();
    this.statusListeners.clear();
    this.logger.info({ id: shortId(this.id) }, 'network closed');
  }
}

/** DHT nodes a keeper runs besides its first (see DhtTransportOptions.keeperExtraNodes). */
const KEEPER_EXTRA_DHT_NODES = 2;

/** Where a keeper's extra DHT nodes find its first one: its public IPv4, else its first LAN IPv4. */
function keeperIpv4(publicHost: string | undefined): string | null {
  if (publicHost !== undefined && isIP(publicHost) === 4) return publicHost;
  return lanIpv4s()[0] ?? null;
}


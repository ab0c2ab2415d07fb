import { randomInt } from 'node:crypto';
import type { RemoteInfo } from 'node:dgram';
import { networkInterfaces } from 'node:os';
import makeMdns from 'multicast-dns';
import type { Logger } from '../../ports/logger.js';
import { isDeviceId, shortId } from '../network-common/ids.js';
import {
  asksForUs,
  buildAnnouncements,
  buildGoodbye,
  ipv4ToNumber,
  MAX_TOPICS,
  MDNS_SERVICE,
  mdnsTag,
  parseResponse,
  RECORD_TTL_S,
  sameSubnet,
  type Announcement,
  type OutgoingResponse,
} from './mdns-records.js';

export { MDNS_SERVICE, mdnsTag } from './mdns-records.js';

/** A LAN peer that announced at least one of our topics. */
export interface MdnsPeer {
  deviceId: string;
  /** "host:port" to dial over TCP, most recently heard first (at most 8). */
  addresses: string[];
  /** Which of OUR topics it announced (copies). */
  topics: Buffer[];
}

export interface MdnsDiscoveryOptions {
  /** Ours: never reported, and what our TXT record carries. */
  deviceId: string;
  /** Our TCP port, read whenever we answer; null = not listening yet (we then only listen and query). */
  port: () => number | null;
  logger: Logger;
  /**
   * Called when a peer sharing a topic is first heard, when its addresses or shared topics
   * change, and again at most once per `intervalMs` while it keeps answering, so a lost
   * connection gets redialled. The caller deduplicates against open connections.
   */
  onPeer(peer: MdnsPeer): void;
  /** Re-query period after the quick start (queries at 0, 1, 3 and 10 s). Default 30 s. */
  intervalMs?: number;
  /** How often interfaces are re-listed and stale peers dropped. Default 10 s. */
  interfaceCheckMs?: number;
  /** IPv4 addresses to send and receive on, one socket each. Default: every non-internal IPv4 address. */
  interfaces?: () => string[];
}

const MDNS_PORT = 5353;
const DEFAULT_INTERVAL_MS = 30_000;
const DEFAULT_INTERFACE_CHECK_MS = 10_000;
const QUICK_START_MS = [1_000, 3_000, 10_000];
const MAX_INTERFACES = 16;
const MAX_PEERS = 256;
const MAX_ADDRESSES_PER_PEER = 8;
/** RFC 6762 §6: a record is multicast at most once per second per interface. */
const MIN_RESPONSE_GAP_MS = 1_000;
/** RFC 6762 §6: shared records are answered after a random 20–120 ms, so responders do not collide. */
const RESPONSE_DELAY_MS: readonly [number, number] = [20, 120];
/** close() waits this long at most for goodbye packets to leave. */
const GOODBYE_TIMEOUT_MS = 500;

interface Iface {
  address: string;
  netmask: string;
}

/** One multicast socket, bound to 0.0.0.0:5353 and sending out of one interface. */
interface Endpoint {
  readonly iface: Iface;
  readonly mdns: makeMdns.MulticastDNS;
  ready: boolean;
  announced: boolean;
  lastSentAt: number;
  timer: NodeJS.Timeout | null;
  /** The pending response lists all our addresses (a query from an unknown subnet). */
  pendingAll: boolean;
  /** Announcements still to repeat, 1 s apart (RFC 6762 §8.3 sends at least two). */
  repeats: number;
  lastForeignQueryAt: number;
}

interface PeerState {
  deviceId: string;
  /** address → last heard (ms); Map order = least recently heard first. */
  addresses: Map<string, number>;
  /** shared tag → last heard (ms). */
  tags: Map<string, number>;
  reportedKey: string;
  reportedAt: number;
}

/**
 * LAN discovery over multicast DNS for nodes that share a space but have no DHT (no
 * internet). Announces our TCP port with one tag per topic (never the topic), answers and
 * sends queries for `_agora._tcp.local`, and reports peers that announce one of our tags.
 *
 * One socket per IPv4 interface, each with its multicast interface set: a LAN without a
 * default route otherwise fails every send with ENETUNREACH. Interfaces are re-listed
 * periodically. Socket errors are logged at debug and never thrown. Everything received is
 * validated; state is capped (256 peers, 8 addresses each).
 *
 * Trust nothing it reports: anyone on the LAN can replay a tag or claim an id. The Noise
 * handshake checks the key and the firewall decides.
 */
export class MdnsDiscovery {
  private readonly deviceId: string;
  private readonly logger: Logger;
  private readonly intervalMs: number;
  private readonly interfaceCheckMs: number;
  /** Our tags → our topics. */
  private tags = new Map<string, Buffer>();
  private readonly endpoints = new Map<string, Endpoint>();
  private readonly peers = new Map<string, PeerState>();
  /** Ids we said "shares no topic" about, so it is said once. */
  private readonly ignored = new Set<string>();
  /** Ids of our recent queries, to recognise them when they loop back. */
  private readonly ownQueryIds: number[] = [];
  private queryTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private announcedPort: number | null = null;
  private started = false;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: MdnsDiscoveryOptions) {
    if (!isDeviceId(options.deviceId)) throw new Error(`MdnsDiscovery: not a device id: "${options.deviceId}".`);
    this.deviceId = options.deviceId;
    this.logger = options.logger.child({ component: 'mdns' });
    this.intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
    this.interfaceCheckMs = options.interfaceCheckMs ?? DEFAULT_INTERFACE_CHECK_MS;
  }

  /** Opens the sockets, announces and queries. Idempotent. */
  start(): void {
    if (this.closing !== null) throw new Error('MdnsDiscovery: start() after close().');
    if (this.started) return;
    this.started = true;
    this.refreshInterfaces();
    this.scheduleQuery(0);
    this.checkTimer = setInterval(() => this.check(), this.interfaceCheckMs);
  }

  /**
   * The topics we announce and match (duplicates ignored; at most 256 announced). A change
   * is announced at once, with a query so that peers now sharing a topic are heard soon.
   */
  setTopics(topics: readonly Buffer[]): void {
    const next = new Map<string, Buffer>();
    for (const topic of topics) {
      if (next.size >= MAX_TOPICS) {
        this.logger.warn({ topics: topics.length, announced: MAX_TOPICS }, 'mdns: too many topics, some not announced');
        break;
      }
      next.set(mdnsTag(topic), Buffer.from(topic));
    }
    const same = next.size === this.tags.size && [...next.keys()].every((tag) => this.tags.has(tag));
    this.tags = next;
    if (same) return;
    this.ignored.clear();
    for (const [id, peer] of this.peers) {
      for (const tag of peer.tags.keys()) if (!next.has(tag)) peer.tags.delete(tag);
      if (peer.tags.size === 0) this.peers.delete(id);
    }
    if (!this.started || this.closing !== null) return;
    for (const endpoint of this.endpoints.values()) {
      this.announce(endpoint);
      this.query(endpoint);
    }
  }

  /** Says goodbye where we announced, then releases every socket and timer. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.queryTimer !== null) clearTimeout(this.queryTimer);
    if (this.checkTimer !== null) clearInterval(this.checkTimer);
    this.queryTimer = null;
    this.checkTimer = null;
    const endpoints = [...this.endpoints.values()];
    this.endpoints.clear();
    this.peers.clear();
    await Promise.all(endpoints.map((endpoint) => this.release(endpoint, true)));
  }

  // ---- interfaces and sockets ----

  private currentInterfaces(): Iface[] {
    const known = new Map<string, string>();
    const defaults: string[] = [];
    for (const list of Object.values(networkInterfaces())) {
      for (const nic of list ?? []) {
        if (nic.family !== 'IPv4') continue;
        known.set(nic.address, nic.netmask);
        if (!nic.internal) defaults.push(nic.address);
      }
    }
    let wanted = defaults;
    if (this.options.interfaces !== undefined) {
      try {
        wanted = this.options.interfaces();
      } catch (err) {
        this.logger.debug({ err }, 'mdns: interfaces() threw');
        wanted = [];
      }
    }
    const unique = [...new Set(wanted)].filter((address) => ipv4ToNumber(address) !== null);
    return unique.slice(0, MAX_INTERFACES).map((address) => ({ address, netmask: known.get(address) ?? '255.255.255.255' }));
  }

  private refreshInterfaces(): void {
    const current = this.currentInterfaces();
    const wanted = new Set(current.map((iface) => iface.address));
    for (const [address, endpoint] of this.endpoints) {
      if (wanted.has(address)) continue;
      this.logger.debug({ address }, 'mdns: interface gone');
      this.endpoints.delete(address);
      void this.release(endpoint, false);
    }
    for (const iface of current) if (!this.endpoints.has(iface.address)) this.open(iface);
  }

  private open(iface: Iface): void {
    let mdns: makeMdns.MulticastDNS;
    try {
      mdns = makeMdns({ interface: iface.address, bind: '0.0.0.0', port: MDNS_PORT, reuseAddr: true, loopback: true });
    } catch (err) {
      this.logger.debug({ err, address: iface.address }, 'mdns: cannot open a socket');
      return;
    }
    const endpoint: Endpoint = {
      iface,
      mdns,
      ready: false,
      announced: false,
      lastSentAt: 0,
      timer: null,
      pendingAll: false,
      repeats: 0,
      lastForeignQueryAt: 0,
    };
    this.endpoints.set(iface.address, endpoint);
    mdns.on('error', (err: Error) => {
      // Bind failures (EADDRINUSE, EACCES): drop the socket, the next interface check retries.
      this.logger.debug({ err, address: iface.address }, 'mdns: socket error');
      if (this.endpoints.get(iface.address) !== endpoint) return;
      this.endpoints.delete(iface.address);
      void this.release(endpoint, false);
    });
    mdns.on('warning', (err: Error) => {
      this.logger.debug({ err, address: iface.address }, 'mdns: socket warning');
    });
    mdns.on('ready', () => {
      if (this.endpoints.get(iface.address) !== endpoint) return;
      endpoint.ready = true;
      this.logger.debug({ address: iface.address }, 'mdns: listening');
      this.query(endpoint);
      this.announce(endpoint);
    });
    mdns.on('query', (packet: unknown, rinfo: RemoteInfo) => this.guard(() => this.onQuery(endpoint, packet, rinfo)));
    mdns.on('response', (packet: unknown, rinfo: RemoteInfo) =>
      this.guard(() => this.onResponse(endpoint, packet, rinfo)),
    );
  }

  private release(endpoint: Endpoint, goodbye: boolean): Promise<void> {
    if (endpoint.timer !== null) clearTimeout(endpoint.timer);
    endpoint.timer = null;
    endpoint.ready = false;
    return new Promise<void>((resolve) => {
      let fallback: NodeJS.Timeout | null = null;
      const destroy = (): void => {
        if (fallback !== null) clearTimeout(fallback);
        fallback = null;
        try {
          endpoint.mdns.destroy(() => resolve());
        } catch (err) {
          this.logger.debug({ err }, 'mdns: closing a socket failed');
          resolve();
        }
      };
      if (!goodbye || !endpoint.announced) return destroy();
      let done = false;
      const once = (): void => {
        if (done) return;
        done = true;
        destroy();
      };
      fallback = setTimeout(once, GOODBYE_TIMEOUT_MS);
      this.send(endpoint, buildGoodbye(this.deviceId), once);
    });
  }

  private check(): void {
    this.refreshInterfaces();
    this.expire(Date.now());
    const port = this.port();
    if (port !== null && port !== this.announcedPort) {
      for (const endpoint of this.endpoints.values()) this.announce(endpoint);
    }
  }

  // ---- sending ----

  private port(): number | null {
    let port: number | null;
    try {
      port = this.options.port();
    } catch {
      return null;
    }
    return port !== null && Number.isInteger(port) && port >= 1 && port <= 65535 ? port : null;
  }

  private send(endpoint: Endpoint, packet: OutgoingResponse, done?: () => void): void {
    const callback = (err: Error | null): void => {
      if (err) this.logger.debug({ err, address: endpoint.iface.address }, 'mdns: send failed');
      done?.();
    };
    try {
      endpoint.mdns.respond(packet, callback);
    } catch (err) {
      callback(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private scheduleQuery(step: number): void {
    const quick = QUICK_START_MS[step];
    const periodic = quick === undefined;
    const gap = periodic ? this.intervalMs * (0.9 + Math.random() * 0.2) : quick - (QUICK_START_MS[step - 1] ?? 0);
    this.queryTimer = setTimeout(() => {
      for (const endpoint of this.endpoints.values()) {
        // RFC 6762 §7.3: someone else asked lately, and the answers were multicast to us too.
        if (periodic && Date.now() - endpoint.lastForeignQueryAt < this.intervalMs / 2) continue;
        this.query(endpoint);
      }
      this.scheduleQuery(step + 1);
    }, Math.min(gap, this.intervalMs));
  }

  private query(endpoint: Endpoint): void {
    if (!endpoint.ready) return;
    const id = randomInt(1, 65536);
    this.ownQueryIds.push(id);
    if (this.ownQueryIds.length > 16) this.ownQueryIds.shift();
    try {
      endpoint.mdns.query({ id, questions: [{ name: MDNS_SERVICE, type: 'PTR' }] }, (err) => {
        if (err) this.logger.debug({ err, address: endpoint.iface.address }, 'mdns: query failed');
      });
    } catch (err) {
      this.logger.debug({ err, address: endpoint.iface.address }, 'mdns: query failed');
    }
  }

  /** Unsolicited announcement, sent twice 1 s apart. */
  private announce(endpoint: Endpoint): void {
    endpoint.repeats = 1;
    this.respondSoon(endpoint, false, 0);
  }

  /** Sends our records on `endpoint` after `delayMs`, at most once per second; requests coalesce. */
  private respondSoon(endpoint: Endpoint, all: boolean, delayMs: number): void {
    if (!endpoint.ready) return;
    if (endpoint.timer !== null) {
      endpoint.pendingAll ||= all;
      return;
    }
    endpoint.pendingAll = all;
    const wait = Math.max(delayMs, endpoint.lastSentAt + MIN_RESPONSE_GAP_MS - Date.now());
    endpoint.timer = setTimeout(() => {
      endpoint.timer = null;
      if (!endpoint.ready) return;
      this.respondNow(endpoint, endpoint.pendingAll);
      if (endpoint.repeats > 0) {
        endpoint.repeats--;
        this.respondSoon(endpoint, false, MIN_RESPONSE_GAP_MS);
      }
    }, wait);
  }

  private respondNow(endpoint: Endpoint, all: boolean): void {
    const port = this.port();
    if (port === null || this.tags.size === 0) return;
    const addresses = all ? [...this.endpoints.keys()] : [endpoint.iface.address];
    for (const packet of buildAnnouncements(this.deviceId, port, [...this.tags.keys()], addresses)) {
      this.send(endpoint, packet);
    }
    endpoint.lastSentAt = Date.now();
    endpoint.announced = true;
    this.announcedPort = port;
  }

  // ---- receiving ----

  private guard(handle: () => void): void {
    if (this.closing !== null) return;
    try {
      handle();
    } catch (err) {
      this.logger.debug({ err }, 'mdns: a packet could not be handled');
    }
  }

  /**
   * With several sockets on port 5353, Linux hands every packet to each of them. The one
   * whose subnet holds the sender handles it, and answers with that interface's address.
   * A sender on no subnet of ours is handled by each socket that gets it.
   */
  private owner(source: string): Endpoint | null {
    for (const endpoint of this.endpoints.values()) {
      if (sameSubnet(source, endpoint.iface.address, endpoint.iface.netmask)) return endpoint;
    }
    return null;
  }

  private onQuery(endpoint: Endpoint, packet: unknown, rinfo: RemoteInfo): void {
    const owner = this.owner(rinfo.address);
    if (owner !== null && owner !== endpoint) return;
    const id = (packet as { id?: unknown }).id;
    if (typeof id === 'number' && this.ownQueryIds.includes(id) && this.endpoints.has(rinfo.address)) return;
    if (!asksForUs(packet, this.deviceId)) return;
    endpoint.lastForeignQueryAt = Date.now();
    const [min, max] = RESPONSE_DELAY_MS;
    this.respondSoon(endpoint, owner === null, min + Math.random() * (max - min));
  }

  private onResponse(endpoint: Endpoint, packet: unknown, rinfo: RemoteInfo): void {
    const owner = this.owner(rinfo.address);
    if (owner !== null && owner !== endpoint) return;
    // RFC 6762 §11 and §6: responses come from port 5353; anything else is not mDNS.
    if (rinfo.port !== MDNS_PORT) return;
    const { announcements, rejected } = parseResponse(packet, rinfo.address);
    if (rejected.length > 0) this.logger.debug({ from: rinfo.address, rejected }, 'mdns: malformed records ignored');
    const now = Date.now();
    for (const announcement of announcements) {
      if (announcement.deviceId !== this.deviceId) this.heard(announcement, now);
    }
  }

  private heard(announcement: Announcement, now: number): void {
    const { deviceId } = announcement;
    let peer = this.peers.get(deviceId);
    if (announcement.goodbye) {
      this.peers.delete(deviceId);
      return;
    }
    const shared = announcement.tags.filter((tag) => this.tags.has(tag));
    if (peer === undefined && shared.length === 0) {
      if (!this.ignored.has(deviceId)) {
        if (this.ignored.size >= MAX_PEERS) this.ignored.clear();
        this.ignored.add(deviceId);
        this.logger.debug({ peer: shortId(deviceId) }, 'mdns: peer shares no topic with us');
      }
      return;
    }
    if (peer === undefined) {
      peer = { deviceId, addresses: new Map(), tags: new Map(), reportedKey: '', reportedAt: 0 };
      if (this.peers.size >= MAX_PEERS) {
        const oldest = this.peers.keys().next();
        if (oldest.done !== true) this.peers.delete(oldest.value);
      }
    }
    // Re-insert: Map order then says who was heard least recently.
    this.peers.delete(deviceId);
    this.peers.set(deviceId, peer);
    for (const tag of shared) peer.tags.set(tag, now);
    for (const address of [...announcement.addresses].reverse()) {
      peer.addresses.delete(address);
      peer.addresses.set(address, now);
    }
    while (peer.addresses.size > MAX_ADDRESSES_PER_PEER) {
      const oldest = peer.addresses.keys().next();
      if (oldest.done === true) break;
      peer.addresses.delete(oldest.value);
    }
    this.report(peer, now);
  }

  private report(peer: PeerState, now: number): void {
    const addresses = [...peer.addresses.keys()].reverse();
    const tags = [...peer.tags.keys()].sort();
    const key = `${addresses.join(',')}|${tags.join(',')}`;
    if (key === peer.reportedKey && now - peer.reportedAt < this.intervalMs) return;
    peer.reportedKey = key;
    peer.reportedAt = now;
    const topics = tags.flatMap((tag) => {
      const topic = this.tags.get(tag);
      return topic === undefined ? [] : [Buffer.from(topic)];
    });
    this.logger.debug({ peer: shortId(peer.deviceId), addresses, topics: topics.length }, 'mdns: peer');
    try {
      this.options.onPeer({ deviceId: peer.deviceId, addresses, topics });
    } catch (err) {
      this.logger.warn({ err }, 'mdns: onPeer threw');
    }
  }

  /** Forgets what was not heard again within the records' TTL. */
  private expire(now: number): void {
    const before = now - RECORD_TTL_S * 1000;
    for (const [id, peer] of this.peers) {
      for (const [tag, at] of peer.tags) if (at < before) peer.tags.delete(tag);
      for (const [address, at] of peer.addresses) if (at < before) peer.addresses.delete(address);
      if (peer.tags.size === 0 || peer.addresses.size === 0) this.peers.delete(id);
    }
  }
}

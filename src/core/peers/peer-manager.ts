import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { KeeperContact, NetworkPort, PeerConnection } from '../../ports/network.js';
import type { Store } from '../../ports/store.js';
import type { EventBus } from '../events.js';
import { LogSyncChannel } from '../spaces/log-sync.js';
import type { SpaceService } from '../spaces/space-service.js';
import { unnamed } from '../spaces/space-state.js';
import { ControlChannel } from './control-channel.js';
import { preferredConnection } from './dedupe.js';
import { Backoff } from './backoff.js';
import { keepersOfSpaces, publishKeeperEndpoint, sameStrings, toContact } from './keepers.js';
import { spaceTopic } from './topic.js';

export const SOFTWARE = 'agora/0.1.0';
const DIAL_TICK_MS = 2_000;
/** First and longest wait between attempts to move a udx or relayed connection to TCP. */
const UPGRADE_FIRST_MS = 5_000;
const UPGRADE_MAX_MS = 10 * 60_000;
/** How long a peer that no longer shares a space gets to receive the entries that say so. */
const FAREWELL_MS = 1_500;

/** Someone who may talk to us without sharing a space: a joiner holding an invite. */
export interface StrangerHandler {
  acceptsStrangers(): boolean;
  attach(conn: PeerConnection): void;
  /** The invite protocol on a member's connection (it may be inviting another device). */
  attachToMember(conn: PeerConnection): void;
}

/** A protocol that runs on member connections, per shared space (sync, chat, ...). */
export interface PeerProtocol {
  /** Called for each new member connection and again whenever the spaces it shares change. */
  attach(conn: PeerConnection, spaceIds: readonly string[]): void;
}

interface Session {
  conn: PeerConnection;
  control: ControlChannel;
  logs: Map<string, LogSyncChannel>;
  name: string | null;
  rttMs: number | null;
  online: boolean;
  /** No space in common any more: being told so, then disconnected. */
  leaving: boolean;
}

export interface PeerInfo {
  deviceId: string;
  name: string;
  connected: boolean;
  direct: boolean;
  transport: string | null;
  address: string | null;
  rttMs: number | null;
}

/**
 * Keeps this device connected to every device it shares a space with: admits only those
 * (plus invite holders, limited to the invite protocol), keeps one connection per peer,
 * runs the control and space-log channels on it, dials members it is not connected to,
 * and tells who is online.
 */
export class PeerManager {
  private readonly sessions = new Map<string, Session>();
  /** Devices we are dialling to hand an invite to: their connection belongs to the join flow. */
  private readonly joinTargets = new Set<string>();
  private readonly backoff = new Backoff();
  /** When each peer connected over udx or a relay may next be tried over TCP. */
  private readonly upgradeAt = new Map<string, { next: number; delay: number }>();
  private readonly dialing = new Set<string>();
  private readonly topics = new Map<string, Buffer>();
  private strangers: StrangerHandler | null = null;
  /** Keepers named by an invite being used: a joiner reaches the inviter through them before it holds the log. */
  private inviteKeepers: KeeperContact[] = [];
  private readonly protocols: PeerProtocol[] = [];
  private ticker: TimerHandle | null = null;
  private readonly abort = new AbortController();
  private stopped = false;

  constructor(
    private readonly deps: {
      network: NetworkPort;
      spaces: SpaceService;
      store: Store;
      clock: Clock;
      logger: Logger;
      events: EventBus;
      selfName: () => string;
    },
  ) {}

  addProtocol(protocol: PeerProtocol): void {
    this.protocols.push(protocol);
  }

  start(strangers: StrangerHandler): void {
    this.strangers = strangers;
    const { network, events } = this.deps;
    network.setFirewall((remoteId) => this.admits(remoteId));
    network.onConnection((conn) => this.onConnection(conn));
    events.on('space.changed', ({ spaceId }) => this.onSpaceChanged(spaceId));
    this.refreshTopics();
    void this.refreshKeepers();
    this.ticker = this.deps.clock.setInterval(() => this.dialMissing(), DIAL_TICK_MS);
    this.dialMissing();
  }

  stop(): void {
    this.stopped = true;
    this.ticker?.cancel();
    this.abort.abort();
    for (const s of this.sessions.values()) s.conn.close();
  }

  /** The join flow dials the inviter itself; its connection must not be treated as a member's. */
  expectJoinTarget(deviceId: string): () => void {
    this.joinTargets.add(deviceId);
    return () => this.joinTargets.delete(deviceId);
  }

  /** The keepers an invite names, used until the log (which names them too) is ours. */
  useInviteKeepers(keepers: readonly KeeperContact[]): Promise<void> {
    this.inviteKeepers = [...keepers];
    return this.refreshKeepers();
  }

  ownsConnection(conn: PeerConnection): boolean {
    return this.sessions.get(conn.remoteId)?.conn === conn;
  }

  isOnline(deviceId: string): boolean {
    return this.sessions.get(deviceId)?.online ?? false;
  }

  peers(): PeerInfo[] {
    const known = this.deps.spaces.peersInCommon();
    const ids = new Set([...known.keys(), ...this.sessions.keys()]);
    return [...ids].sort().map((deviceId) => {
      const s = this.sessions.get(deviceId);
      // One read of the path: a udx connection's can change (relayed, then punched) between reads.
      const transport = s ? s.conn.transport : null;
      return {
        deviceId,
        // A member's hello carries no name to a guest: the name it may know, else its id's start.
        name: s?.name || this.memberName(deviceId) || this.deps.store.peers.get(deviceId)?.name || unnamed(deviceId),
        connected: s?.online ?? false,
        direct: transport !== null && transport !== 'relay',
        transport,
        address: s?.conn.remoteAddress ?? null,
        rttMs: s?.rttMs ?? null,
      };
    });
  }

  /** Dial now rather than at the next tick (after a join, for example). */
  connectSoon(deviceId: string): void {
    this.backoff.reset(deviceId);
    this.dialMissing();
  }

  private admits(remoteId: string): boolean {
    if (this.stopped) return false;
    if (this.deps.spaces.peersInCommon().has(remoteId)) return true;
    if (this.joinTargets.has(remoteId)) return true;
    // A removed member is refused outright, even while invites are out.
    if (this.deps.spaces.isFormerMember(remoteId)) return false;
    return this.strangers?.acceptsStrangers() ?? false;
  }

  private onConnection(conn: PeerConnection): void {
    const id = conn.remoteId;
    if (this.stopped) return conn.close();
    if (this.deps.spaces.peersInCommon().has(id)) return this.addSession(conn);
    if (this.joinTargets.has(id)) return; // owned by the join flow
    if (this.strangers?.acceptsStrangers() && !this.deps.spaces.isFormerMember(id)) return this.strangers.attach(conn);
    conn.close();
  }

  private addSession(conn: PeerConnection): void {
    const id = conn.remoteId;
    const existing = this.sessions.get(id);
    if (existing && !existing.conn.closed) {
      const keep = preferredConnection(this.deps.spaces.selfId, existing.conn, conn);
      if (keep === existing.conn) return conn.close();
      this.sessions.delete(id);
      existing.conn.close();
    }
    const log = this.deps.logger.child({ peer: id.slice(0, 12), transport: conn.transport });
    const session: Session = { conn, control: null!, logs: new Map(), name: null, rttMs: null, online: false, leaving: false };
    session.control = new ControlChannel(conn, this.hello(id), this.deps.clock, {
      onHello: (hello) => {
        session.name = hello.name;
        session.online = true;
        this.remember(id, hello.name, hello.addresses);
        this.backoff.reset(id);
        log.info({ name: hello.name, address: conn.remoteAddress }, 'peer online');
        this.deps.events.emit('peer.connected', { deviceId: id, transport: conn.transport, direct: conn.direct });
        this.deps.events.emit('member.online', { spaceIds: this.sharedSpaces(id), deviceId: id, name: hello.name });
        this.shareAddresses();
      },
      onUpdate: (hello) => {
        session.name = hello.name;
        this.remember(id, hello.name, hello.addresses);
      },
      onRtt: (ms) => {
        session.rttMs = ms;
      },
      onAddressBook: (entries) => this.learnAddresses(id, entries),
      onClose: () => conn.close(),
    });
    this.sessions.set(id, session);
    this.openLogChannels(session);
    for (const p of this.protocols) p.attach(conn, this.sharedSpaces(id));
    this.strangers?.attachToMember(conn);
    conn.onClose((reason) => {
      if (this.sessions.get(id) !== session) return;
      this.sessions.delete(id);
      if (!session.online) return;
      log.info({ reason: reason?.message }, 'peer offline');
      const peer = this.deps.store.peers.get(id);
      if (peer && !this.stopped) this.deps.store.peers.upsert({ ...peer, lastSeen: this.deps.clock.now() });
      this.deps.events.emit('peer.disconnected', { deviceId: id });
      this.deps.events.emit('member.offline', { spaceIds: this.sharedSpaces(id), deviceId: id, name: session.name ?? '' });
    });
  }

  private openLogChannels(session: Session): void {
    const shared = this.sharedSpaces(session.conn.remoteId);
    // A space we no longer share with this peer (it was removed, or we were): nothing more of its log goes there.
    for (const [spaceId, channel] of session.logs) {
      if (shared.includes(spaceId)) continue;
      session.logs.delete(spaceId);
      channel.pushMissing(); // the entry that ended it, so the peer knows
      channel.close();
    }
    for (const spaceId of shared) {
      if (session.logs.has(spaceId)) continue;
      const channel = new LogSyncChannel(session.conn, spaceId, this.deps.spaces, this.deps.logger, () => {
        session.logs.delete(spaceId);
      });
      session.logs.set(spaceId, channel);
    }
  }

  private onSpaceChanged(spaceId: string): void {
    if (this.stopped) return;
    const inCommon = this.deps.spaces.peersInCommon();
    for (const [id, session] of this.sessions) {
      if (!inCommon.has(id)) {
        if (session.leaving) continue;
        session.leaving = true;
        this.deps.logger.info({ peer: id.slice(0, 12) }, 'no space in common any more: disconnecting');
        // Tell it first (it learns it was removed, stops syncing and says so), then hang up:
        // nothing else goes to it meanwhile.
        for (const channel of session.logs.values()) channel.pushMissing();
        for (const p of this.protocols) p.attach(session.conn, []);
        this.deps.clock.setTimeout(() => session.conn.close(), FAREWELL_MS);
        continue;
      }
      this.openLogChannels(session);
      session.logs.get(spaceId)?.announce();
      for (const p of this.protocols) p.attach(session.conn, this.sharedSpaces(id));
    }
    this.refreshTopics();
    void this.refreshKeepers();
    this.dialMissing();
  }

  /**
   * Keepers from the logs (and a pending invite) become the network's bootstrap nodes and
   * relays; their TCP addresses, signed by themselves in the log, are where we dial them.
   * A keeper also (re)announces its own endpoint here.
   */
  private refreshKeepers(): Promise<void> {
    const { network, spaces, store, logger } = this.deps;
    publishKeeperEndpoint(spaces, network.keeperOffer(), logger);
    const fromLogs = keepersOfSpaces(spaces);
    const ids = new Set(fromLogs.map((k) => k.keeperId));
    const using = network
      .useKeepers([...fromLogs.map(toContact), ...this.inviteKeepers.filter((k) => !ids.has(k.deviceId))])
      .catch((err: unknown) => logger.warn({ err }, 'could not use the keepers'));
    for (const k of fromLogs) {
      if (k.keeperId === spaces.selfId || k.tcp.length === 0) continue;
      const known = store.peers.get(k.keeperId);
      const addresses = [...new Set([...k.tcp, ...(known?.addresses ?? [])])].slice(0, 16);
      if (known && sameStrings(addresses, known.addresses)) continue;
      store.peers.upsert({ deviceId: k.keeperId, name: known?.name ?? '', addresses, lastSeen: known?.lastSeen ?? 0 });
    }
    return using;
  }

  private refreshTopics(): void {
    const current = new Set(this.deps.spaces.list().map((s) => s.spaceId));
    for (const space of this.deps.spaces.list()) {
      if (this.topics.has(space.spaceId)) continue;
      const topic = spaceTopic(space.spaceId, space.secret);
      this.topics.set(space.spaceId, topic);
      this.deps.network.joinTopic(topic);
    }
    for (const [spaceId, topic] of this.topics) {
      if (current.has(spaceId)) continue;
      this.deps.network.leaveTopic(topic);
      this.topics.delete(spaceId);
    }
  }

  /**
   * A peer reached by hole punching or through a relay is tried now and then on its TCP
   * addresses (a keeper, a public or port-forwarded address, the same LAN): the TCP fast path
   * moves several times more data per CPU cycle. A relayed peer is also tried by a hole punch
   * (a NAT may have been misjudged, or have changed). Both ends keep the better connection
   * (dedupe.ts: tcp, then udx, then relay).
   */
  private upgradePaths(): void {
    const now = this.deps.clock.now();
    for (const [id, session] of this.sessions) {
      const { transport } = session.conn;
      if (transport !== 'udx' && transport !== 'relay') continue;
      if (this.dialing.has(id) || session.leaving) continue;
      const addresses = this.deps.store.peers.get(id)?.addresses ?? [];
      const plan = this.upgradeAt.get(id);
      const punch = transport === 'relay' && this.deps.network.dhtStatus() === 'online' && this.deps.spaces.selfId > id;
      if ((addresses.length === 0 && !punch) || (plan && now < plan.next)) continue;
      const delay = Math.min((plan?.delay ?? UPGRADE_FIRST_MS / 2) * 2, UPGRADE_MAX_MS);
      this.upgradeAt.set(id, { next: now + delay, delay });
      this.dialing.add(id);
      this.deps.network
        .dial(id, addresses, this.abort.signal, punch ? { relay: false } : { dht: false })
        .then((conn) => {
          if (this.stopped) conn.close();
          else this.upgradeAt.delete(id);
        })
        .catch((err: Error) => this.deps.logger.debug({ peer: id.slice(0, 12), err: err.message }, 'no TCP path yet'))
        .finally(() => this.dialing.delete(id));
    }
  }

  private dialMissing(): void {
    if (this.stopped) return;
    this.upgradePaths();
    const dhtEnabled = this.deps.network.dhtStatus() !== 'disabled';
    for (const id of this.deps.spaces.peersInCommon().keys()) {
      if (this.sessions.has(id) || this.dialing.has(id) || !this.backoff.due(id, this.deps.clock.now())) continue;
      const addresses = this.deps.store.peers.get(id)?.addresses ?? [];
      // Over the DHT only one side dials: the one with the larger id, as hyperswarm expects on
      // its server side. When both did, each side's duplicate rules closed the other's
      // connection and they went on redialling each other (seen in the NAT lab).
      const viaDht = dhtEnabled && this.deps.spaces.selfId > id;
      if (addresses.length === 0 && !viaDht) continue;
      this.dialing.add(id);
      this.backoff.failed(id, this.deps.clock.now()); // counts as an attempt until it succeeds
      this.deps.network
        .dial(id, addresses, this.abort.signal, viaDht ? {} : { dht: false })
        .then((conn) => {
          // onConnection already made a session of it; nothing more to do.
          if (this.stopped) conn.close();
        })
        .catch((err: Error) => {
          this.deps.logger.debug({ peer: id.slice(0, 12), err: err.message }, 'dial failed');
        })
        .finally(() => this.dialing.delete(id));
    }
  }

  /** Tells every connected peer where the other members it shares a space with can be reached. */
  private shareAddresses(): void {
    const inCommon = this.deps.spaces.peersInCommon();
    const known = [...inCommon.keys()]
      .map((deviceId) => ({ deviceId, addresses: this.deps.store.peers.get(deviceId)?.addresses ?? [] }))
      .filter((e) => e.addresses.length > 0);
    for (const [id, session] of this.sessions) {
      const theirs = new Set(inCommon.get(id) ?? []);
      // Only devices the log lets this peer connect to: a guest never learns that other guests exist.
      const relevant = known.filter(
        (e) => e.deviceId !== id && (inCommon.get(e.deviceId) ?? []).some((s) => theirs.has(s) && this.deps.spaces.state(s).mayConnect(id, e.deviceId)),
      );
      session.control.sendAddressBook(relevant);
    }
  }

  /** Addresses heard from a member: used only for members we share a space with and have no address for. */
  private learnAddresses(from: string, entries: { deviceId: string; addresses: string[] }[]): void {
    const inCommon = this.deps.spaces.peersInCommon();
    let learned = false;
    for (const e of entries) {
      if (e.deviceId === this.deps.spaces.selfId || e.deviceId === from || !inCommon.has(e.deviceId)) continue;
      const known = this.deps.store.peers.get(e.deviceId);
      if (known && known.addresses.length > 0) continue;
      // Addresses from a third party are hints: a dial checks the remote key, so a wrong one costs a failed dial.
      this.deps.store.peers.upsert({ deviceId: e.deviceId, name: known?.name ?? '', addresses: e.addresses.slice(0, 16), lastSeen: known?.lastSeen ?? 0 });
      learned = true;
    }
    if (learned) this.dialMissing();
  }

  private remember(deviceId: string, name: string, addresses: string[]): void {
    this.deps.store.peers.upsert({ deviceId, name, addresses, lastSeen: this.deps.clock.now() });
  }

  private sharedSpaces(deviceId: string): string[] {
    return this.deps.spaces.peersInCommon().get(deviceId) ?? [];
  }

  private memberName(deviceId: string): string | null {
    for (const spaceId of this.sharedSpaces(deviceId)) {
      const name = this.deps.spaces.memberName(spaceId, deviceId);
      if (name !== null) return name;
    }
    return null;
  }

  /** What we tell `peer` about ourselves; our name only if the log lets it know members' names. */
  private hello(peer: string) {
    const mayKnowName = this.sharedSpaces(peer).some((spaceId) => {
      const role = this.deps.spaces.state(spaceId).roleOf(peer);
      return role === 'admin' || role === 'member';
    });
    return { software: SOFTWARE, name: mayKnowName ? this.deps.selfName() : '', addresses: this.deps.network.addresses() };
  }
}

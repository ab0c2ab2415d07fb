import { EventBus } from '../core/events.js';
import { InviteService, type CreatedInvite } from '../core/invites/invite-service.js';
import { PeerManager, type PeerInfo } from '../core/peers/peer-manager.js';
import { SpaceService } from '../core/spaces/space-service.js';
import { SyncService } from '../core/sync/sync-service.js';
import type { FsPort, WatcherPort } from '../ports/fs.js';
import { BadRequestError } from '../errors/index.js';
import type { Role } from '../protocol/index.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { NetworkPort } from '../ports/network.js';
import type { SpaceRecord, Store } from '../ports/store.js';
import type { BlockHasher } from '../core/sync/chunking/hash-file.js';
import type { Identity } from './home.js';

export const VERSION = '0.1.0';

export interface NodeDeps {
  identity: Identity;
  store: Store;
  network: NetworkPort;
  clock: Clock;
  logger: Logger;
  /** Where a space's folders go when the user names no directory. */
  defaultSpaceDir: (spaceName: string) => string;
  /** Persists a new display name (the identity file, for a real node). */
  saveName?: (name: string) => void;
  fs: FsPort;
  /** null: no watcher, periodic rescans only. */
  watcher: WatcherPort | null;
  rescanIntervalMs?: number;
  /** How long replaced and deleted files are kept in a folder's .agora/versions. */
  versionRetentionMs?: number;
  /** Fault injection for end-to-end tests (AGORA_TEST_CORRUPT_BLOCKS=1): serve corrupt blocks. */
  corruptServedBlocks?: boolean;
  /** Chunks and hashes big files while scanning (default: on the main thread). Closed with the node. */
  hasher?: BlockHasher;
}

export interface SpaceSummary {
  spaceId: string;
  name: string;
  role: Role | null;
  dir: string;
  members: number;
}

export interface MemberSummary {
  memberId: string;
  name: string;
  role: Role;
  online: boolean;
  self: boolean;
}

/**
 * One Agora node: the core services wired to the adapters it was given. The real daemon
 * gives it SQLite and the swarm network; simulations give it memory adapters.
 */
export class AgoraNode {
  readonly events = new EventBus();
  readonly spaces: SpaceService;
  readonly peers: PeerManager;
  readonly invites: InviteService;
  readonly sync: SyncService;
  private name: string;
  private closed = false;

  constructor(private readonly deps: NodeDeps) {
    this.name = deps.identity.name;
    const { store, clock, logger, network } = deps;
    const keyPair = deps.identity.keyPair;
    const selfName = () => this.name;
    this.spaces = new SpaceService({ store, keyPair, clock, logger, events: this.events });
    this.peers = new PeerManager({ network, spaces: this.spaces, store, clock, logger, events: this.events, selfName });
    this.invites = new InviteService({ store, spaces: this.spaces, peers: this.peers, network, clock, logger, keyPair, selfName });
    this.sync = new SyncService({
      store,
      fs: deps.fs,
      watcher: deps.watcher,
      spaces: this.spaces,
      clock,
      logger,
      events: this.events,
      rescanIntervalMs: deps.rescanIntervalMs,
      corruptServedBlocks: deps.corruptServedBlocks,
      hasher: deps.hasher,
      versionRetentionMs: deps.versionRetentionMs,
    });
    this.peers.addProtocol(this.sync);
  }

  get deviceId(): string {
    return this.deps.identity.deviceId;
  }

  get displayName(): string {
    return this.name;
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.deps.network.onDhtStatus((status) => {
      this.deps.logger.info({ dht: status }, status === 'offline' ? 'DHT unreachable; working over direct addresses' : `DHT ${status}`);
      this.events.emit('dht.status', { status });
    });
    await this.sync.start();
    await this.deps.network.start(signal);
    this.peers.start(this.invites);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.peers.stop();
    await this.sync.stop();
    await this.deps.hasher?.close();
    await this.deps.network.close();
    this.deps.store.close();
  }

  status() {
    return {
      deviceId: this.deviceId,
      name: this.name,
      version: VERSION,
      listen: this.deps.network.addresses(),
      dht: this.deps.network.dhtStatus(),
      spaces: this.spaces.list().length,
    };
  }

  setName(name: string): void {
    this.name = SpaceService.validateName(name);
    this.deps.saveName?.(this.name);
  }

  createSpace(name: string, dir?: string): SpaceSummary {
    const clean = SpaceService.validateName(name);
    const record = this.spaces.create(clean, dir ?? this.deps.defaultSpaceDir(clean), this.name);
    return this.summary(record);
  }

  listSpaces(): SpaceSummary[] {
    return this.spaces.list().map((s) => this.summary(s));
  }

  invite(spaceRef: string, options: { role: Role; expiresInMs: number; uses: number }): CreatedInvite & { spaceId: string } {
    const space = this.spaces.resolve(spaceRef);
    return { ...this.invites.create(space.spaceId, options), spaceId: space.spaceId };
  }

  async join(code: string, dir?: string, signal?: AbortSignal): Promise<SpaceSummary> {
    if (typeof code !== 'string' || code.trim() === '') throw new BadRequestError('Give the invite code or link you received.');
    const record = await this.invites.join(code, (name) => dir ?? this.deps.defaultSpaceDir(name), signal);
    return this.summary(this.spaces.list().find((s) => s.spaceId === record.spaceId)!);
  }

  members(spaceRef: string): MemberSummary[] {
    const space = this.spaces.resolve(spaceRef);
    return this.spaces
      .state(space.spaceId)
      .activeMembers()
      .map((m) => ({
        memberId: m.memberId,
        name: m.memberId === this.deviceId ? this.name : m.name,
        role: m.role,
        online: m.memberId === this.deviceId || this.peers.isOnline(m.memberId),
        self: m.memberId === this.deviceId,
      }))
      .sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
  }

  peerList(): PeerInfo[] {
    return this.peers.peers();
  }

  private summary(record: SpaceRecord): SpaceSummary {
    const state = this.spaces.state(record.spaceId);
    return {
      spaceId: record.spaceId,
      name: state.name || record.name,
      role: state.roleOf(this.deviceId),
      dir: record.dir,
      members: state.activeMembers().length,
    };
  }
}

import { EventBus } from '../core/events.js';
import { InviteService, type CreatedInvite } from '../core/invites/invite-service.js';
import { PeerManager, type PeerInfo } from '../core/peers/peer-manager.js';
import { SpaceService } from '../core/spaces/space-service.js';
import { SyncService } from '../core/sync/sync-service.js';
import { AttachmentService } from '../core/chat/attachments.js';
import { ChatService } from '../core/chat/chat-service.js';
import { SpaceChat } from './space-chat.js';
import type { AuditItem } from '../core/spaces/audit.js';
import type { FsPort, WatcherPort } from '../ports/fs.js';
import { BadRequestError } from '../errors/index.js';
import type { Access, FolderAccess, GrantAccess, Role } from '../protocol/index.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { NetworkPort } from '../ports/network.js';
import type { FolderRecord, SpaceRecord, Store } from '../ports/store.js';
import { ActivityLog } from './activity-log.js';
import { doctorReport, type DoctorReport } from './doctor.js';
import type { BlockHasher } from '../ports/hasher.js';
import type { Identity } from './home.js';
import { loadSettings, NodeSettings, resolveStart, type StartValues } from './node-settings.js';
import { unnamed } from '../core/spaces/space-state.js';
import { SpaceAccess, type AuditOptions, type GrantResult, type InviteGrant, type MemberAccess, type SpaceFolderRef } from './space-access.js';

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
  /** What this run was started with (flags over saved settings); simulations leave it out. */
  started?: StartValues;
  /** Chunks and hashes big files while scanning (default: on the main thread). Closed with the node. */
  hasher?: BlockHasher;
  /** Where files sent with chat messages are kept (one subdirectory per space). */
  attachmentsDir: string;
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
  readonly chatService: ChatService;
  readonly attachments: AttachmentService;
  readonly chat: SpaceChat;
  readonly access: SpaceAccess;
  readonly settings: NodeSettings;
  readonly activity: ActivityLog;
  private name: string;
  private nameChosen: boolean;
  private closed = false;

  constructor(private readonly deps: NodeDeps) {
    this.name = deps.identity.name;
    this.nameChosen = deps.identity.nameChosen === true;
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
    this.attachments = new AttachmentService({
      store,
      spaces: this.spaces,
      fs: deps.fs,
      root: deps.attachmentsDir,
      logger: logger.child({ component: 'attachments' }),
      events: this.events,
      peers: (spaceId) => this.chatService.openChannels(spaceId),
    });
    this.chatService = new ChatService({
      store,
      spaces: this.spaces,
      clock,
      logger: logger.child({ component: 'chat' }),
      events: this.events,
      isOnline: (deviceId) => this.peers.isOnline(deviceId),
      serveAttachment: (spaceId, peer, attachmentId, part) => this.attachments.serve(spaceId, peer, attachmentId, part),
      onAttachments: (spaceId, refs) => this.attachments.onArrived(spaceId, refs),
      onPeer: (spaceId) => this.attachments.onPeer(spaceId),
    });
    this.peers.addProtocol(this.chatService);
    this.access = new SpaceAccess({ spaces: this.spaces, sync: this.sync, store, selfId: keyPair.publicKey.toString('hex'), selfName });
    this.chat = new SpaceChat({ spaces: this.spaces, chat: this.chatService, attachments: this.attachments, access: this.access, store, selfId: keyPair.publicKey.toString('hex') });
    this.settings = new NodeSettings(store.settings, deps.started ?? resolveStart({}, loadSettings(store.settings)));
    this.activity = new ActivityLog({
      events: this.events,
      now: () => clock.now(),
      spaceIds: () => this.spaces.list().map((s) => s.spaceId),
      spaceName: (spaceId) => this.listSpaces().find((s) => s.spaceId === spaceId)?.name,
      members: (spaceId) => this.members(spaceId),
      folder: (folderId) => store.folders.get(folderId),
    });
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
    this.activity.start();
    this.chatService.start();
    await this.sync.start();
    await this.deps.network.start(signal);
    this.peers.start(this.invites);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.activity.stop();
    this.peers.stop();
    this.chatService.stop();
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

  /** Whether the user gave a name (the first-run screen is done) or it is still the host-name default. */
  get hasChosenName(): boolean {
    return this.nameChosen;
  }

  setName(name: string): void {
    this.name = SpaceService.validateName(name);
    this.nameChosen = true;
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

  /** `grants` name folders of the space as `folder grant` takes them (id, prefix or name). */
  invite(
    spaceRef: string,
    options: { role: Role; expiresInMs: number; uses: number; grants?: readonly { folder: string; access: Access }[] },
  ): CreatedInvite & { spaceId: string; grants: InviteGrant[] } {
    const space = this.spaces.resolve(spaceRef);
    this.spaces.requireAdmin(space.spaceId);
    const grants = this.access.inviteGrants(space.spaceId, options.grants ?? []);
    const created = this.invites.create(space.spaceId, {
      role: options.role,
      expiresInMs: options.expiresInMs,
      uses: options.uses,
      grants: grants.map((g) => ({ folderId: g.folderId, access: g.access })),
    });
    return { ...created, spaceId: space.spaceId, grants };
  }

  async join(code: string, dir?: string, signal?: AbortSignal): Promise<SpaceSummary> {
    if (typeof code !== 'string' || code.trim() === '') throw new BadRequestError('Give the invite code or link you received.');
    const record = await this.invites.join(code, (name) => dir ?? this.deps.defaultSpaceDir(name), signal);
    return this.summary(this.spaces.list().find((s) => s.spaceId === record.spaceId)!);
  }

  members(spaceRef: string): MemberSummary[] {
    const space = this.spaces.resolve(spaceRef);
    return this.spaces
      .visibleMembers(space.spaceId)
      .map((m) => ({
        memberId: m.memberId,
        name: m.memberId === this.deviceId ? this.name : (this.spaces.memberName(space.spaceId, m.memberId) ?? unnamed(m.memberId)),
        role: m.role,
        online: m.memberId === this.deviceId || this.peers.isOnline(m.memberId),
        self: m.memberId === this.deviceId,
      }))
      .sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
  }

  // ---- roles, grants, audit (see SpaceAccess) ----

  setRole(spaceRef: string, memberRef: string, role: Role): MemberSummary {
    const m = this.access.setRole(spaceRef, memberRef, role);
    return this.memberSummary(this.spaces.resolve(spaceRef).spaceId, m.memberId, m.role);
  }

  removeMember(spaceRef: string, memberRef: string): MemberSummary & { spaceId: string; removed: true } {
    const spaceId = this.spaces.resolve(spaceRef).spaceId;
    const m = this.access.removeMember(spaceRef, memberRef);
    return { spaceId, ...this.memberSummary(spaceId, m.memberId, m.role), online: false, removed: true };
  }

  grant(folderRef: string, to: string, access: GrantAccess, spaceRef?: string): GrantResult {
    return this.access.grant(folderRef, to, access, spaceRef);
  }

  folderAccess(folderRef: string, spaceRef?: string): { folder: SpaceFolderRef; members: MemberAccess[] } {
    return this.access.folderAccess(folderRef, spaceRef);
  }

  audit(spaceRef: string, options: AuditOptions = {}): AuditItem[] {
    return this.access.audit(spaceRef, options);
  }

  /** Read-only folders: the shared version back over local changes; how many paths. */
  revert(folderRef: string): { folderId: string; reverted: number } {
    const record = this.sync.resolve(folderRef);
    return { folderId: record.folderId, reverted: this.sync.revert(record.folderId) };
  }

  /** `folder add` with default access per role; only admins share with guests. */
  addFolder(spaceRef: string, path: string, name?: string, access?: Partial<FolderAccess>): Promise<FolderRecord> {
    return this.sync.addFolder(spaceRef, path, name, this.access.folderDefaults(spaceRef, access));
  }

  private memberSummary(spaceId: string, memberId: string, role: Role): MemberSummary {
    return {
      memberId,
      name: this.access.nameOf(spaceId, memberId),
      role,
      online: memberId === this.deviceId || this.peers.isOnline(memberId),
      self: memberId === this.deviceId,
    };
  }

  peerList(): PeerInfo[] {
    return this.peers.peers();
  }

  async doctor(signal?: AbortSignal): Promise<DoctorReport> {
    const { network } = this.deps;
    const peers = this.peers.peers();
    return doctorReport({
      deviceId: this.deviceId,
      listen: network.addresses(),
      diagnosis: await network.diagnose(signal),
      keeperOffer: network.keeperOffer(),
      peers,
      keeperName: (id) => peers.find((p) => p.deviceId === id)?.name ?? '',
    });
  }

  private summary(record: SpaceRecord): SpaceSummary {
    const state = this.spaces.state(record.spaceId);
    return {
      spaceId: record.spaceId,
      name: state.name || record.name,
      role: state.roleOf(this.deviceId),
      dir: record.dir,
      members: this.spaces.visibleMembers(record.spaceId).length,
    };
  }
}

import { AgoraError, BadRequestError, NotFoundError } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { FsPort, WatcherPort } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import type { FolderRecord, FolderSyncState, Store } from '../../ports/store.js';
import { DEFAULT_FOLDER_ACCESS, folderName, recordSigningBytes, type FolderAccess } from '../../protocol/index.js';
import { randomHex } from '../crypto.js';
import type { EventBus } from '../events.js';
import { LogPoints } from '../spaces/log-points.js';
import type { SpaceService } from '../spaces/space-service.js';
import type { SpaceState } from '../spaces/space-state.js';
import { mayRead, mayWrite } from './access.js';
import { BlockFetcher } from './block-fetcher.js';
import { conflictCopy, listVersions, restoreVersion, type ConflictCopy, type FileVersion } from './folder-files.js';
import { FolderSync } from './folder-sync.js';
import type { BlockHasher } from '../../ports/hasher.js';
import type { Authority } from './global-view.js';
import { PeerSync, type FolderHost, type RunningFolder } from './peer-sync.js';

export interface SyncServiceDeps {
  store: Store;
  fs: FsPort;
  watcher: WatcherPort | null;
  spaces: SpaceService;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  /** Full rescan period; the watcher covers the time in between. */
  rescanIntervalMs?: number;
  /** How long replaced and deleted files stay in .agora/versions (default 30 days). */
  versionRetentionMs?: number;
  /** Fault injection for tests only: serve blocks with one byte flipped. */
  corruptServedBlocks?: boolean;
  /** Chunks and hashes big files while scanning (default: on this thread). */
  hasher?: BlockHasher;
}

const DEFAULT_RESCAN_MS = 60 * 60 * 1000;

/**
 * All shared folders of this device: which folders of which spaces it syncs and where,
 * starting and stopping each folder's sync, and the peer protocol that feeds them. The
 * space log says which folders exist; this device decides where they live and whether
 * it syncs them.
 */
export class SyncService implements FolderHost {
  private readonly folders = new Map<string, RunningFolder>();
  private readonly starting = new Map<string, Promise<void>>();
  /** Per running folder, everyone's access as last seen, to notice grant and role changes. */
  private readonly accessKeys = new Map<string, string>();
  /** Per space, the log states at the points records were made at (see LogPoints). */
  private readonly logPoints = new Map<string, LogPoints>();
  /** Per running folder, the log point its versions are stamped with, and everyone's access then. */
  private readonly stamps = new Map<string, { accessKey: string; at: readonly string[] }>();
  readonly peerSync: PeerSync;
  private readonly fetcher: BlockFetcher;
  private readonly selfId: string;
  private stopped = false;

  constructor(private readonly deps: SyncServiceDeps) {
    this.selfId = deps.spaces.selfId;
    this.peerSync = new PeerSync({
      host: this,
      store: deps.store,
      clock: deps.clock,
      logger: deps.logger,
      events: deps.events,
      selfId: this.selfId,
      corruptServedBlocks: deps.corruptServedBlocks ?? false,
    });
    this.fetcher = new BlockFetcher({
      channels: (folderId) => this.peerSync.channelsFor(folderId),
      onBadBlock: (r) => {
        deps.logger.warn({ peer: r.peerId.slice(0, 12), folderId: r.folderId, path: r.path, offset: r.offset }, 'peer sent a corrupt block; fetching it elsewhere');
        deps.events.emit('sync.badBlock', { folderId: r.folderId, deviceId: r.peerId, path: r.path });
      },
      now: () => deps.clock.now(),
      logger: deps.logger,
    });
  }

  async start(): Promise<void> {
    this.deps.events.on('space.changed', ({ spaceId }) => void this.reconcile(spaceId));
    await Promise.all(this.deps.spaces.list().map((s) => this.reconcile(s.spaceId)));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled([...this.starting.values()]);
    await Promise.all([...this.folders.values()].map((f) => f.sync.stop()));
    this.folders.clear();
  }

  /** The peer manager calls this for every member connection and whenever shared spaces change. */
  attach(conn: PeerConnection, spaceIds: readonly string[]): void {
    this.peerSync.attach(conn, spaceIds);
  }

  // ---- FolderHost ----

  running(folderId: string): RunningFolder | undefined {
    return this.folders.get(folderId);
  }

  runningInSpace(spaceId: string): RunningFolder[] {
    return [...this.folders.values()].filter((f) => f.record.spaceId === spaceId);
  }

  spaceState(spaceId: string) {
    return this.deps.spaces.state(spaceId);
  }

  // ---- what users do ----

  /** Shares the directory `path` as a new folder of the space. */
  async addFolder(spaceRef: string, path: string, name?: string, access: FolderAccess = DEFAULT_FOLDER_ACCESS): Promise<FolderRecord> {
    const space = this.deps.spaces.resolve(spaceRef);
    const folderNameValue = name ?? basename(path);
    const parsed = folderName.safeParse(folderNameValue);
    if (!parsed.success) throw new BadRequestError(`"${folderNameValue}" cannot be a folder name: ${parsed.error.issues[0]?.message ?? 'invalid'}. Pick another with --name.`);
    const clash = this.deps.spaces
      .state(space.spaceId)
      .activeFolders()
      .some((f) => this.deps.spaces.folderName(space.spaceId, f.folderId)?.toLowerCase() === parsed.data.toLowerCase());
    if (clash) throw new AgoraError('CONFLICT', `The space already has a folder called "${parsed.data}". Pick another name with --name.`);
    if (this.deps.store.folders.list().some((f) => samePath(f.path, path) && f.state !== 'stopped')) {
      throw new AgoraError('CONFLICT', `${path} is already shared. See: agora folder list`);
    }
    await this.deps.fs.folder(path, { create: true });
    const record: FolderRecord = {
      folderId: randomHex(32),
      spaceId: space.spaceId,
      name: parsed.data,
      path,
      state: 'syncing',
      indexId: randomHex(16),
      createdAt: this.deps.clock.now(),
    };
    this.deps.store.folders.put(record);
    try {
      const nameRef = this.deps.spaces.commitName(space.spaceId, record.name);
      this.deps.spaces.append(space.spaceId, { type: 'folder.add', folder: record.folderId, name: nameRef, access });
    } catch (err) {
      this.deps.store.folders.delete(record.folderId);
      throw err;
    }
    await this.reconcile(space.spaceId);
    this.deps.events.emit('folder.added', { folderId: record.folderId, spaceId: space.spaceId });
    return record;
  }

  list(spaceRef?: string): FolderRecord[] {
    const spaceId = spaceRef === undefined ? undefined : this.deps.spaces.resolve(spaceRef).spaceId;
    return this.deps.store.folders.list(spaceId);
  }

  /** A folder by id, id prefix, or "Space/Folder". */
  resolve(ref: string): FolderRecord {
    const all = this.deps.store.folders.list();
    const exact = all.find((f) => f.folderId === ref);
    if (exact) return exact;
    const slash = ref.lastIndexOf('/');
    let matches: FolderRecord[] = [];
    if (slash > 0) {
      const spaceRef = ref.slice(0, slash);
      const name = ref.slice(slash + 1);
      const space = this.deps.spaces.resolve(spaceRef);
      matches = all.filter((f) => f.spaceId === space.spaceId && f.name === name);
    } else if (ref.length >= 6) {
      matches = all.filter((f) => f.folderId.startsWith(ref.toLowerCase()));
    }
    if (matches.length === 0) matches = all.filter((f) => f.name === ref);
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new NotFoundError(`No folder "${ref}" on this device. See the folders with: agora folder list`);
    throw new AgoraError('AMBIGUOUS', `Several folders match "${ref}"; name it as Space/Folder or by its id (agora folder list).`);
  }

  sync(folderId: string): FolderSync | undefined {
    return this.folders.get(folderId)?.sync;
  }

  async setState(ref: string, state: FolderSyncState): Promise<FolderRecord> {
    const record = this.resolve(ref);
    this.deps.store.folders.put({ ...record, state });
    await this.reconcile(record.spaceId);
    return this.resolve(record.folderId);
  }

  /** Everything `agora folder status` shows; a folder that is not running says why. */
  status(ref: string) {
    const record = this.resolve(ref);
    const running = this.folders.get(record.folderId);
    if (running) {
      const live = running.sync.status();
      // Members who share the folder but are not connected are listed too, as not connected.
      const state = this.deps.spaces.state(record.spaceId);
      const known = new Set(live.peers.map((p) => p.deviceId));
      const absent = state
        .activeMembers()
        .filter((m) => m.memberId !== this.selfId && !known.has(m.memberId) && mayRead(state, record.folderId, m.memberId))
        .map((m) => ({ deviceId: m.memberId, connected: false, inSync: false }));
      return { folder: record, access: state.accessOf(record.folderId, this.selfId), ...live, peers: [...live.peers, ...absent], badPeers: this.fetcher.badPeers() };
    }
    const counts = this.deps.store.index.localCounts(record.folderId);
    const why = this.unsyncedReason(record);
    return {
      folder: record,
      access: this.deps.spaces.has(record.spaceId) ? this.deps.spaces.state(record.spaceId).accessOf(record.folderId, this.selfId) : ('none' as const),
      localChanges: 0,
      state: record.state === 'syncing' ? ('error' as const) : ('paused' as const),
      error: why ?? (record.state === 'syncing' ? `The folder could not be started; check that ${record.path} exists and is writable (see node.log).` : null),
      localFiles: counts.files,
      localBytes: counts.bytes,
      globalFiles: counts.files,
      globalBytes: counts.bytes,
      needFiles: 0,
      needBytes: 0,
      conflicts: 0,
      peers: [],
      problems: [],
      progress: null,
      transfer: null,
      badPeers: this.fetcher.badPeers(),
    };
  }

  /** Conflict copies in the folders of one space, or of all. */
  conflicts(spaceRef?: string): (ConflictCopy & { folderId: string; spaceId: string; folder: string })[] {
    const out: (ConflictCopy & { folderId: string; spaceId: string; folder: string })[] = [];
    for (const record of this.list(spaceRef)) {
      const sync = this.folders.get(record.folderId)?.sync;
      for (const path of sync?.conflictPaths() ?? []) {
        const c = conflictCopy(path);
        if (c) out.push({ ...c, folderId: record.folderId, spaceId: record.spaceId, folder: record.name });
      }
    }
    return out;
  }

  async versions(ref: string, path: string): Promise<FileVersion[]> {
    const record = this.resolve(ref);
    return listVersions(await this.deps.fs.folder(record.path), path);
  }

  async restore(ref: string, path: string, versionId: string): Promise<void> {
    const record = this.resolve(ref);
    await restoreVersion(await this.deps.fs.folder(record.path), path, versionId, this.deps.clock.now());
    this.folders.get(record.folderId)?.sync.requestScan([path]);
  }

  /**
   * Read-only folders: puts the shared version back over this device's local changes (the
   * local versions go to .agora/versions). Returns how many paths will be reverted.
   */
  revert(ref: string): number {
    const record = this.resolve(ref);
    const running = this.folders.get(record.folderId);
    if (!running) throw new AgoraError('CONFLICT', `"${record.name}" is not syncing, so there is nothing to revert to. See: agora folder status ${record.name}`);
    return running.sync.revertLocalChanges();
  }

  rescan(ref: string): void {
    const record = this.resolve(ref);
    this.folders.get(record.folderId)?.sync.requestScan(null);
  }

  // ---- keeping running folders in step with the log and local choices ----

  /** Everyone's access to a folder, as one string: it changes when a grant or a role does. */
  private accessKey(spaceId: string, folderId: string): string {
    const state = this.deps.spaces.state(spaceId);
    return [...state.members.keys()].map((m) => `${m}:${state.accessOf(folderId, m)}`).join(',');
  }

  /**
   * Who may write a folder, read from the space log each time (it changes without a restart),
   * and who could write it at the log point a record was made at.
   */
  private authorityFor(spaceId: string, folderId: string): Authority {
    const spaces = this.deps.spaces;
    const selfId = this.selfId;
    return {
      mayWrite: (deviceId) => spaces.has(spaceId) && mayWrite(spaces.state(spaceId), folderId, deviceId),
      wroteAt: (record) => {
        // Stored before records carried log points (a peer's record without one is refused on
        // arrival, see record-check.ts): trusted as the rest of the store is.
        if (record.at.length === 0) return true;
        if (!spaces.has(spaceId)) return false;
        return this.pointsOf(spaceId).mayWriteAt(record.at, folderId, record.modifiedBy);
      },
      get selfWrites() {
        return spaces.has(spaceId) && mayWrite(spaces.state(spaceId), folderId, selfId);
      },
    };
  }

  /** The log points of a space this device holds (made on first use). */
  private pointsOf(spaceId: string): LogPoints {
    let points = this.logPoints.get(spaceId);
    if (!points) {
      const spaces = this.deps.spaces;
      points = new LogPoints(spaceId, {
        current: () => spaces.replayResult(spaceId),
        heads: () => spaces.heads(spaceId),
        entry: (id) => spaces.entry(spaceId, id),
        parentsOf: (id) => spaces.parentsOf(spaceId, id),
        partial: () => spaces.stubIds(spaceId).length > 0,
      });
      this.logPoints.set(spaceId, points);
    }
    return points;
  }

  /**
   * The log point a version of this folder made now carries: the heads of the log at the first
   * stamp since anyone's access to the folder last changed. Entries that change nobody's access
   * to it (chat channels, renames, keepers' endpoints, other folders) make no new point, so a
   * folder's versions share a few points and every node replays only a few.
   */
  private stampPoint(spaceId: string, folderId: string): readonly string[] {
    // No space (it is being forgotten): no point, and peers refuse what is made without one.
    if (!this.deps.spaces.has(spaceId)) return [];
    const accessKey = this.accessKey(spaceId, folderId);
    const last = this.stamps.get(folderId);
    if (last?.accessKey === accessKey) return last.at;
    const at = this.pointsOf(spaceId).now();
    this.stamps.set(folderId, { accessKey, at });
    return at;
  }

  /** Why the log no longer lets this device sync a folder it has, or null if it does. */
  private unsyncedReason(record: FolderRecord): string | null {
    if (!this.deps.spaces.has(record.spaceId)) return null;
    const state = this.deps.spaces.state(record.spaceId);
    const folder = state.folders.get(record.folderId);
    if (folder && !folder.active) return `"${record.name}" was removed from the space: it no longer syncs. Its files stay in ${record.path}.`;
    if (!state.isActive(this.selfId)) return `You are no longer a member of this space: "${record.name}" no longer syncs. Its files stay in ${record.path}.`;
    if (!mayRead(state, record.folderId, this.selfId)) return `You no longer have access to "${record.name}": it no longer syncs. Its files stay in ${record.path}.`;
    return null;
  }

  private async reconcile(spaceId: string): Promise<void> {
    if (this.stopped || !this.deps.spaces.has(spaceId)) {
      this.logPoints.delete(spaceId);
      return;
    }
    const space = this.deps.spaces.list().find((s) => s.spaceId === spaceId)!;
    const state = this.deps.spaces.state(spaceId);
    const wanted = new Set<string>();
    const dirNames = folderDirNames(state, (id) => this.deps.spaces.folderName(spaceId, id));
    for (const f of state.activeFolders()) {
      if (!mayRead(state, f.folderId, this.selfId)) continue;
      let record = this.deps.store.folders.get(f.folderId);
      const dirName = dirNames.get(f.folderId);
      if (!record) {
        // Its name has not arrived yet: the folder appears once it has.
        if (dirName === undefined) continue;
        // A folder someone else added: it appears under the space's directory.
        record = { folderId: f.folderId, spaceId, name: this.deps.spaces.folderName(spaceId, f.folderId)!, path: joinPath(space.dir, dirName), state: 'syncing', indexId: randomHex(16), createdAt: this.deps.clock.now() };
        this.deps.store.folders.put(record);
        this.deps.logger.info({ folder: record.name, path: record.path }, 'new shared folder');
        this.deps.events.emit('folder.added', { folderId: f.folderId, spaceId });
      }
      if (record.state === 'syncing') wanted.add(f.folderId);
    }
    const stops: Promise<void>[] = [];
    for (const [folderId, running] of this.folders) {
      if (running.record.spaceId !== spaceId || wanted.has(folderId)) continue;
      this.folders.delete(folderId);
      stops.push(running.sync.stop());
      const why = this.unsyncedReason(running.record);
      if (why !== null) {
        this.deps.logger.warn({ folderId, folder: running.record.name }, why);
        this.deps.events.emit('folder.state', { folderId, state: 'error', error: why });
      }
    }
    await Promise.all(stops);
    // Grants or roles may have changed: the running folders re-decide who wins.
    for (const [folderId, running] of this.folders) {
      if (running.record.spaceId !== spaceId) continue;
      const key = this.accessKey(spaceId, folderId);
      if (this.accessKeys.get(folderId) !== key) {
        this.accessKeys.set(folderId, key);
        // Even if it changed back since the last stamp: what is made from now on follows the change.
        this.stamps.delete(folderId);
        running.sync.accessChanged();
      } else {
        // The log grew: records that waited for a log point this device had not reached may count.
        running.sync.logGrew();
      }
    }
    await Promise.all([...wanted].filter((id) => !this.folders.has(id)).map((id) => this.startFolder(id)));
    this.peerSync.refreshOffers(spaceId);
  }

  private startFolder(folderId: string): Promise<void> {
    const pending = this.starting.get(folderId);
    if (pending) return pending;
    const run = (async () => {
      const record = this.deps.store.folders.get(folderId)!;
      try {
        const fs = await this.deps.fs.folder(record.path, { create: true });
        if (this.stopped || this.folders.has(folderId)) return;
        const sync = new FolderSync({
          folder: record,
          fs,
          watcher: this.deps.watcher,
          store: this.deps.store,
          clock: this.deps.clock,
          logger: this.deps.logger.child({ folder: record.name }),
          events: this.deps.events,
          selfId: this.selfId,
          fetcher: this.fetcher,
          connectedPeers: () => this.peerSync.connectedPeers(folderId),
          announce: () => this.peerSync.announce(folderId),
          authority: this.authorityFor(record.spaceId, folderId),
          signRecord: (r) => this.deps.spaces.sign(recordSigningBytes(folderId, r)),
          logPoint: () => this.stampPoint(record.spaceId, folderId),
          rescanIntervalMs: this.deps.rescanIntervalMs ?? DEFAULT_RESCAN_MS,
          versionRetentionMs: this.deps.versionRetentionMs,
          hasher: this.deps.hasher,
        });
        this.folders.set(folderId, { record, sync });
        this.accessKeys.set(folderId, this.accessKey(record.spaceId, folderId));
        sync.start();
      } catch (err) {
        this.deps.logger.error({ err, folderId, path: record.path }, 'could not start syncing a folder');
      }
    })().finally(() => this.starting.delete(folderId));
    this.starting.set(folderId, run);
    return run;
  }
}

function basename(path: string): string {
  const parts = path.split(/[\\/]+/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? '';
}

function joinPath(dir: string, name: string): string {
  return dir.endsWith('/') || dir.endsWith('\\') ? dir + name : `${dir}/${name}`;
}

function samePath(a: string, b: string): boolean {
  const norm = (p: string) => p.replace(/[\\/]+$/, '');
  return norm(a) === norm(b);
}

/**
 * The directory name of each folder this device knows the name of. Names are unique when
 * added, but two members may add the same name at once: the first in log order keeps it,
 * the others get their id appended, the same on every device that knows both.
 */
function folderDirNames(state: SpaceState, nameOf: (folderId: string) => string | null): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>();
  for (const f of state.activeFolders()) {
    const name = nameOf(f.folderId);
    if (name === null) continue;
    const key = name.toLowerCase();
    out.set(f.folderId, taken.has(key) ? `${name} (${f.folderId.slice(0, 8)})` : name);
    taken.add(key);
  }
  return out;
}

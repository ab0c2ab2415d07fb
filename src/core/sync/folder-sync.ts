import { setMaxListeners } from 'node:events';
import { AbortedError } from '../../errors/index.js';
import type { BlockHasher } from '../../ports/hasher.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FolderFs, WatcherPort, WatchSubscription } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { FolderRecord, Store } from '../../ports/store.js';
import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import type { EventBus } from '../events.js';
import type { BlockFetcher } from './block-fetcher.js';
import { BlockServer } from './block-server.js';
import { FileHistory } from './file-history.js';
import { GlobalView, refusalMessage, type Authority } from './global-view.js';
import { LocalTree, parentPath } from './local-tree.js';
import { IgnoreRules, isConflictName, isTempName } from './names/index.js';
import { NeedApplier, RETRY_MS } from './need-applier.js';
import { keptChangesToShare, SelfWriteLatch, signOwnVersions } from './own-versions.js';
import { Puller } from './puller.js';
import { Scanner, type ScanProblem } from './scanner.js';
import { groupByPath, paged } from './path-pages.js';
import { ProgressMeter } from './progress.js';
import { DEFAULT_VERSION_RETENTION_MS, housekeeping } from './housekeeping.js';

export type FolderRunState = 'idle' | 'scanning' | 'syncing' | 'error' | 'paused';

export interface FolderSyncDeps {
  folder: FolderRecord;
  fs: FolderFs;
  watcher: WatcherPort | null;
  store: Store;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  selfId: string;
  fetcher: BlockFetcher;
  /** Peers with an open channel that share this folder, and whether each sent its whole index. */
  connectedPeers(): { deviceId: string; upToDate: boolean }[];
  /** This device's index changed: tell the peers. */
  announce(): void;
  /** Who may write the folder, as the space log says now. */
  authority: Authority;
  /** Signs a version this device made (see recordSigningBytes). */
  signRecord(record: FileRecord): Buffer;
  /** The log point this device is at in the folder's space (what a version made now carries as `at`). */
  logPoint(): readonly string[];
  rescanIntervalMs: number;
  /** How long replaced and deleted files stay in .agora/versions (default 30 days). */
  versionRetentionMs?: number;
  /** Chunks and hashes big files while scanning (default: on this thread). */
  hasher?: BlockHasher;
}

/**
 * How long the watcher's events are gathered before a scan of the paths they name. Short: the
 * parcel watcher already holds events until 50 ms pass without one (at most 500 ms), so this
 * only joins batches that arrive back to back. It was 100 ms, a tenth of a second on every
 * change before anything else happened.
 */
const WATCH_DELAY_MS = 20;

/**
 * One shared folder on this device: scans local changes into the index, works out what the
 * peers' indexes say must change here, and applies it (NeedApplier). One loop does both, so a
 * scan and an apply never race on the same path.
 */
export class FolderSync {
  readonly folderId: string;
  private tree!: LocalTree;
  private readonly view = new GlobalView();
  private readonly scanner: Scanner;
  private readonly puller: Puller;
  private readonly applier: NeedApplier;
  private runState: FolderRunState = 'idle';
  private lastError: string | null = null;
  private scanQueue: Set<string> | null | 'all' = 'all';
  private watch: WatchSubscription | null = null;
  private readonly timers: TimerHandle[] = [];
  private watchTimer: TimerHandle | null = null;
  private wake: (() => void) | null = null;
  private readonly abort = (() => {
    const controller = new AbortController();
    // Every block fetch in flight listens on this signal; dozens at once are normal.
    setMaxListeners(1000, controller.signal);
    return controller;
  })();
  private loop: Promise<void> | null = null;
  private readonly access: SelfWriteLatch;
  readonly progress: ProgressMeter;
  private rules = IgnoreRules.parse('');
  private readonly blocks: BlockServer;
  /** Since this node started: bytes fetched from peers, and bytes re-used from local files or an interrupted transfer. */
  private readonly transfer = { fetchedBytes: 0, reusedBytes: 0 };
  problems: ScanProblem[] = [];
  /** Every version this device takes into the folder, for the audit. */
  private readonly history: FileHistory;

  constructor(private readonly deps: FolderSyncDeps) {
    this.folderId = deps.folder.folderId;
    this.access = new SelfWriteLatch(deps.authority);
    this.history = new FileHistory({ store: deps.store, clock: deps.clock, folderId: this.folderId });
    this.progress = new ProgressMeter(deps.clock);
    this.blocks = new BlockServer({
      fs: deps.fs,
      clock: deps.clock,
      localRecord: (p) => this.tree.get(p),
      findBlock: (hash) => deps.store.index.findBlock(this.folderId, hash),
      requestScan: (paths) => this.requestScan(paths),
    });
    const log = deps.logger;
    this.scanner = new Scanner({
      fs: deps.fs,
      selfId: deps.selfId,
      logger: log,
      localRecord: (p) => this.tree.get(p),
      livePathsUnder: (p) => this.tree.livePathsUnder(p),
      liveChildren: (d) => this.tree.liveChildren(d),
      commit: (records) => this.commit(records),
      onProgress: () => this.emitProgress(),
      hasher: deps.hasher,
    });
    this.puller = new Puller({
      fs: deps.fs,
      now: () => deps.clock.now(),
      localRecord: (p) => this.tree.get(p),
      findLocalBlocks: (hashes) => deps.store.index.findBlocks(this.folderId, hashes),
      fetchBlock: (block, hint, signal) => deps.fetcher.fetch(this.folderId, block, hint, this.applier.sourcesOf(hint.path), signal),
      onBytes: (n, source) => {
        this.progress.add(n);
        if (source === 'peer') this.transfer.fetchedBytes += n;
        else this.transfer.reusedBytes += n;
      },
    });
    this.applier = new NeedApplier({
      folderId: this.folderId,
      selfId: deps.selfId,
      fs: deps.fs,
      clock: deps.clock,
      logger: log,
      events: deps.events,
      puller: this.puller,
      view: this.view,
      tree: () => this.tree,
      progress: this.progress,
      connectedPeers: () => deps.connectedPeers(),
      scanQueued: () => this.scanQueue !== null,
      requestScan: (paths) => this.requestScan(paths),
      commit: (records) => this.commit(records),
      setError: (message) => {
        this.lastError = message;
      },
    });
  }

  get state(): FolderRunState {
    return this.runState;
  }

  get error(): string | null {
    return this.lastError;
  }

  start(): void {
    this.tree = new LocalTree(paged((page) => this.deps.store.index.listLocal(this.folderId, page)));
    this.access.latch();
    this.recomputeAll();
    if (this.deps.watcher) {
      this.deps.watcher
        .watch(this.deps.fs.root, (paths) => this.onWatch(paths), (err) => this.onWatchError(err))
        .then((sub) => {
          if (this.abort.signal.aborted) void sub.close();
          else this.watch = sub;
        })
        .catch((err: Error) => this.onWatchError(err));
    }
    this.timers.push(this.deps.clock.setInterval(() => this.requestScan(null), this.deps.rescanIntervalMs));
    this.timers.push(this.deps.clock.setInterval(() => this.kick(), RETRY_MS));
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.abort.abort();
    for (const t of this.timers) t.cancel();
    this.watchTimer?.cancel();
    this.kick();
    await this.watch?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    this.blocks.closeAll();
  }

  /** Scan these paths (with their subtrees), or everything. */
  requestScan(paths: string[] | null): void {
    if (paths === null || this.scanQueue === 'all') this.scanQueue = 'all';
    else {
      this.scanQueue ??= new Set();
      for (const p of paths) this.scanQueue.add(p);
    }
    this.kick();
  }

  /** A peer's index of this folder changed at these paths. */
  remoteChanged(paths: Iterable<string>): void {
    const peers = this.deps.store.index.remoteDevices(this.folderId);
    for (const path of paths) this.recompute(path, peers);
    this.kick();
  }

  /**
   * Records a peer sent (PeerSync calls this in the transaction that stores them): the versions
   * made by a device that may write, and could when it made them, go to the file history
   * (FileHistory.recordReceived). `checked`: those whose signature PeerSync already verified.
   */
  historyReceived(records: readonly FileRecord[], checked: ReadonlySet<FileRecord>): void {
    this.history.recordReceived(records, checked, this.deps.authority);
  }

  /** A peer's index was dropped or replaced wholesale. */
  remoteReset(): void {
    this.recomputeAll();
    this.kick();
  }

  /** Peers came or went: work that was waiting for a source may now be possible. */
  kick(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  status() {
    const counts = this.tree.totals();
    const global = this.view.counts();
    const conflicts = counts.conflicts;
    const peers = this.deps.connectedPeers().map((p) => ({
      deviceId: p.deviceId,
      connected: true,
      inSync: p.upToDate && this.view.differences(p.deviceId) === 0,
    }));
    return {
      state: this.runState,
      error: this.lastError,
      localFiles: counts.files,
      localBytes: counts.bytes,
      globalFiles: global.files,
      globalBytes: global.bytes,
      needFiles: this.view.needCount,
      needBytes: this.view.needBytes,
      conflicts,
      localChanges: this.localChangeCount(),
      peers,
      problems: [
        ...this.view.refusedChanges().map((r) => ({ path: '', message: refusalMessage(r) })),
        ...this.problems,
        ...[...this.applier.failures].map(([path, f]) => ({ path, message: f.message })),
      ].slice(0, 100),
      progress: this.progress.snapshot(),
      transfer: { ...this.transfer },
    };
  }

  /** Read-only folders: how many paths hold a change made here that is not sent (see revert). */
  private localChangeCount(): number {
    return this.view.localChangeCount;
  }

  /**
   * Read-only folders: puts the shared version back over every path changed here (the local
   * copies go to .agora/versions, as any replaced file). Returns how many paths that is.
   */
  revertLocalChanges(): number {
    const paths = this.view.localChangeList().map(([path]) => path);
    this.applier.revert(paths);
    this.kick();
    return paths.length;
  }

  /** Access changed in the space log: who may win, and whether our own changes count. */
  accessChanged(): void {
    const kept = this.access.gained ? this.view.localChangeList().map(([path]) => this.tree.get(path)) : [];
    this.access.latch();
    this.recomputeAll();
    // Changes kept here while read-only are ours to share now (see keptChangesToShare).
    const records = keptChangesToShare(kept, this.deps.selfId);
    if (records.length > 0) this.commit(records);
    this.kick();
  }

  /**
   * The space log grew without changing anyone's access: records that waited for a log point
   * this device had not reached may count now.
   */
  logGrew(): void {
    const waiting = this.view.waitingPaths();
    if (waiting.length === 0) return;
    const peers = this.deps.store.index.remoteDevices(this.folderId);
    for (const path of waiting) this.recompute(path, peers);
    this.kick();
  }

  /** Local paths of conflict copies. */
  conflictPaths(): string[] {
    return [...this.tree.values()].filter((r) => !r.deleted && isConflictName(r.path)).map((r) => r.path);
  }

  localRecord(path: string): LocalFileRecord | undefined {
    return this.tree.get(path);
  }

  /** A block of our own files for a peer (BlockServer.readBlock). */
  readBlock(hash: Buffer, size: number, hint: { path: string; offset: number }, signal?: AbortSignal): Promise<Buffer> {
    return this.blocks.readBlock(hash, size, hint, signal);
  }

  // ---- the loop ----

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    while (!signal.aborted) {
      try {
        if (this.scanQueue !== null) {
          const queue = this.scanQueue;
          this.scanQueue = null;
          this.setState('scanning');
          await this.scanner.scan(queue === 'all' ? null : [...queue], signal);
          this.rules = this.scanner.rules;
          if (queue === 'all') {
            this.problems = [...this.scanner.problems];
            await this.tidy();
          }
          if (this.scanner.rulesChanged) this.recomputeAll();
          continue;
        }
        const work = this.applier.pullable();
        if (work.length > 0) {
          this.setState('syncing');
          await this.applier.pullBatch(work, signal);
          continue;
        }
        this.setState(this.applier.failures.size > 0 && this.lastError ? 'error' : 'idle');
        this.progress.reset();
        await new Promise<void>((resolve) => (this.wake = resolve));
      } catch (err) {
        if (err instanceof AbortedError || signal.aborted) break;
        this.lastError = (err as Error).message;
        this.deps.logger.error({ err, folderId: this.folderId }, 'folder sync failed; retrying');
        this.setState('error');
        await new Promise<void>((resolve) => {
          this.wake = resolve;
          this.timers.push(this.deps.clock.setTimeout(resolve, RETRY_MS));
        });
      }
    }
  }

  /** Stores own records with fresh sequence numbers, updates the view, tells the peers. */
  private commit(records: LocalFileRecord[]): void {
    const { store } = this.deps;
    // Stamped with the log point and signed before they are stored (own-versions.ts).
    const made = signOwnVersions(records, this.deps);
    store.transaction(() => {
      let seq = store.index.localSequence(this.folderId);
      for (const r of records) r.sequence = ++seq;
      store.index.putLocal(this.folderId, records);
      this.history.recordCommitted(records, made, this.access.selfWrote);
    });
    for (const r of records) {
      this.tree.set(r);
      this.blocks.invalidate(r.path);
      // A new local version: what failed here may now work, and so may the directories above
      // it (a directory deletion waits for the files in it).
      for (let p = r.path; p !== ''; p = parentPath(p)) this.applier.failures.delete(p);
    }
    const peers = store.index.remoteDevices(this.folderId);
    for (const r of records) this.recompute(r.path, peers);
    this.deps.announce();
  }

  private async tidy(): Promise<void> {
    try {
      const done = await housekeeping(this.deps.fs, {
        now: this.deps.clock.now(),
        retentionMs: this.deps.versionRetentionMs ?? DEFAULT_VERSION_RETENTION_MS,
        tempFiles: this.scanner.tempFiles,
        inUse: () => this.applier.pullingFiles,
        logger: this.deps.logger,
      });
      if (done.versionsRemoved + done.tempsRemoved > 0) this.deps.logger.info(done, 'removed old versions and stale temp files');
    } catch (err) {
      this.deps.logger.warn({ err: (err as Error).message }, 'housekeeping failed');
    }
  }

  // ---- global view ----

  private recompute(path: string, peers: readonly string[]): void {
    const records = this.deps.store.index.recordsForPath(this.folderId, path, this.deps.selfId);
    this.view.update(path, this.deps.selfId, records, peers, this.ignored(path), this.access.forView);
  }

  /**
   * The global view of every path, from our tree and every peer's index read page by page in
   * path order: never the whole index in memory at once (see path-pages.ts).
   */
  private recomputeAll(): void {
    this.view.clear();
    const { store, selfId } = this.deps;
    const folderId = this.folderId;
    const peers = store.index.remoteDevices(folderId);
    const sources = peers.map((deviceId) => ({ key: deviceId, records: paged((page) => store.index.listRemote(folderId, deviceId, page)) }));
    /** Our paths that some peer also has a record of (the rest are ours alone, done below). */
    const shared = new Set<string>();
    for (const { path, items } of groupByPath(sources)) {
      const own = this.tree.get(path);
      const records = items.map((i) => ({ deviceId: i.key, record: i.record }));
      if (own) {
        records.unshift({ deviceId: selfId, record: own });
        shared.add(own.path);
      }
      this.view.update(path, selfId, records, peers, this.ignored(path), this.access.forView);
    }
    for (const own of this.tree.values()) {
      if (shared.has(own.path)) continue;
      this.view.update(own.path, selfId, [{ deviceId: selfId, record: own }], peers, this.ignored(own.path), this.access.forView);
    }
  }

  private ignored(path: string): boolean {
    const r = this.tree?.get(path);
    return this.rules.ignores(path, r?.type === 'dir');
  }

  // ---- watcher ----

  private readonly watched = new Set<string>();

  private onWatch(paths: string[]): void {
    // Temp files are the engine's own transfers (a stale one is cleared by a full scan): a
    // receiver's watcher reports each of them, and the scan would only stat and skip them.
    for (const p of paths) if (!isTempName(p.slice(p.lastIndexOf('/') + 1))) this.watched.add(p);
    if (this.watched.size === 0) return;
    this.watchTimer ??= this.deps.clock.setTimeout(() => {
      this.watchTimer = null;
      const batch = [...this.watched];
      this.watched.clear();
      this.requestScan(batch);
    }, WATCH_DELAY_MS);
  }

  private onWatchError(err: Error): void {
    this.deps.logger.warn({ err: err.message, folderId: this.folderId }, 'file watcher failed; relying on periodic rescans');
    this.requestScan(null);
  }

  private setState(state: FolderRunState): void {
    if (state === this.runState) return;
    this.runState = state;
    if (state !== 'error') this.lastError = null;
    this.deps.events.emit('folder.state', { folderId: this.folderId, state, error: this.lastError });
  }

  private emitProgress(): void {
    if (!this.progress.due()) return;
    const p = this.progress.snapshot();
    this.deps.events.emit('folder.progress', { folderId: this.folderId, files: p.files, bytes: p.bytes, totalFiles: p.totalFiles, totalBytes: p.totalBytes });
  }
}

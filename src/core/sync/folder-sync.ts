import { setMaxListeners } from 'node:events';
import { AbortedError, AgoraError, NotFoundError, throwIfAborted } from '../../errors/index.js';
import type { BlockHasher } from '../../ports/hasher.js';
import { blockHash } from '../../protocol/index.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FolderFs, FsStat, WatcherPort, WatchSubscription } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { FolderRecord, Store } from '../../ports/store.js';
import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import type { EventBus } from '../events.js';
import type { BlockFetcher } from './block-fetcher.js';
import { FileHistory } from './file-history.js';
import { GlobalView, refusalMessage, type Authority, type NeedItem } from './global-view.js';
import { LocalTree, parentPath } from './local-tree.js';
import { IgnoreRules, isConflictName, isTempName } from './names/index.js';
import { DirectoryNotEmptyError, LocalChangeError, Puller } from './puller.js';
import { bumpVersion, compareVersions } from './version-vector.js';
import { Scanner, UNSIGNED, type ScanProblem } from './scanner.js';
import { ProgressMeter } from './progress.js';
import { ReadHandleCache } from './handle-cache.js';
import { recordHasBlockAt, statMatchesRecord } from './serve-check.js';
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

/** How long the watcher's events are gathered before a scan of the paths they name. */
const WATCH_DELAY_MS = 100;
const PARALLEL_FILES = 16;
/**
 * Small files join a group beyond PARALLEL_FILES, up to this many files and bytes: each group
 * waits for its slowest file and then fsyncs its directories, so a group costs about two
 * fsync latencies whatever its size, and 20,000 small files in groups of 16 were bound by them.
 */
const SMALL_GROUP_FILES = 128;
const SMALL_GROUP_BYTES = 16 * 1024 * 1024;
const RETRY_MS = 10_000;
/** Blocks at least this big are served on the strength of an fstat (serve-check.ts); smaller ones are hashed. */
const TRUST_STAT_MIN_BYTES = 32 * 1024;
/** A pull batch lets a waiting scan run after this long. */
const SCAN_YIELD_MS = 2_000;

/**
 * One shared folder on this device: scans local changes into the index, works out what the
 * peers' indexes say must change here, and applies it. One loop does both, so a scan and
 * an apply never race on the same path.
 */
export class FolderSync {
  readonly folderId: string;
  private tree!: LocalTree;
  private readonly view = new GlobalView();
  private readonly scanner: Scanner;
  private readonly puller: Puller;
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
  private readonly failures = new Map<string, { at: number; message: string }>();
  /**
   * Whether this device could write the folder when access was last looked at. The view uses
   * this, not the live log: between a grant arriving and accessChanged, a recompute would
   * otherwise forget the changes kept while read-only before they are recommitted.
   */
  private selfWrote = true;
  private readonly viewAuthority: { -readonly [K in keyof Authority]: Authority[K] } = {
    mayWrite: (deviceId) => this.deps.authority.mayWrite(deviceId),
    wroteAt: (record) => this.deps.authority.wroteAt(record),
    selfWrites: true,
  };
  /** Read-only folders: paths whose local change the user asked to revert. */
  private readonly reverting = new Set<string>();
  readonly progress: ProgressMeter;
  private rules = IgnoreRules.parse('');
  /** Peers holding the version being pulled, per path, worked out once per file rather than per block. */
  private readonly holdersOf = new Map<string, Set<string>>();
  private readonly handles: ReadHandleCache;
  /** Since this node started: bytes fetched from peers, and bytes re-used from local files or an interrupted transfer. */
  private readonly transfer = { fetchedBytes: 0, reusedBytes: 0 };
  problems: ScanProblem[] = [];
  /** Every version this device takes into the folder, for the audit. */
  private readonly history: FileHistory;

  constructor(private readonly deps: FolderSyncDeps) {
    this.folderId = deps.folder.folderId;
    this.history = new FileHistory({ store: deps.store, clock: deps.clock, folderId: this.folderId });
    this.progress = new ProgressMeter(deps.clock);
    this.handles = new ReadHandleCache(deps.fs, deps.clock);
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
      fetchBlock: (block, hint, signal) => deps.fetcher.fetch(this.folderId, block, hint, this.holdersOf.get(hint.path) ?? this.holders(hint.path), signal),
      onBytes: (n, source) => {
        this.progress.add(n);
        if (source === 'peer') this.transfer.fetchedBytes += n;
        else this.transfer.reusedBytes += n;
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
    this.tree = new LocalTree(this.deps.store.index.listLocal(this.folderId));
    this.latchSelfWrites();
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
    this.handles.closeAll();
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
   * made by a device that may write, and could when it made them, go to the file history; a
   * reader's are no change of the folder. One whose log point this device has not reached is
   * left out here (it is recorded if it is applied later, in commit). `checked`: those whose
   * signature PeerSync already verified.
   */
  historyReceived(records: readonly FileRecord[], checked: ReadonlySet<FileRecord>): void {
    const { authority } = this.deps;
    this.history.record(
      records.filter((r) => authority.mayWrite(r.modifiedBy) && authority.wroteAt(r) === true),
      checked,
    );
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
        ...[...this.failures].map(([path, f]) => ({ path, message: f.message })),
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
    for (const p of paths) this.reverting.add(p);
    this.kick();
    return paths.length;
  }

  /** Access changed in the space log: who may win, and whether our own changes count. */
  accessChanged(): void {
    const kept = this.deps.authority.selfWrites && !this.selfWrote ? this.view.localChangeList().map(([path]) => this.tree.get(path)) : [];
    this.latchSelfWrites();
    this.recomputeAll();
    // Changes kept here while read-only are ours to share now: fresh sequence numbers send them,
    // signed again at the log point we are at now (where we may write: made before, they would
    // be ignored by every node).
    const records = kept.filter((r): r is LocalFileRecord => r !== undefined).map((r) => ({ ...r, ...(r.modifiedBy === this.deps.selfId ? { sig: UNSIGNED } : {}) }));
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

  private latchSelfWrites(): void {
    this.selfWrote = this.deps.authority.selfWrites;
    this.viewAuthority.selfWrites = this.selfWrote;
  }

  /** Local paths of conflict copies. */
  conflictPaths(): string[] {
    return [...this.tree.values()].filter((r) => !r.deleted && isConflictName(r.path)).map((r) => r.path);
  }

  localRecord(path: string): LocalFileRecord | undefined {
    return this.tree.get(path);
  }

  /**
   * A block of our own files for a peer: where the peer expects it if it is still there,
   * else wherever the index has that hash. Never stale: the bytes are sent unhashed only if
   * our record puts that block there and the open file, stat'ed right after the read, is
   * still what the record describes (serve-check.ts); otherwise they are hashed, and a
   * mismatch queues a rescan of the file.
   */
  async readBlock(hash: Buffer, size: number, hint: { path: string; offset: number }, signal?: AbortSignal): Promise<Buffer> {
    throwIfAborted(signal);
    const tryRead = async (path: string, offset: number): Promise<Buffer | null> => {
      const rec = this.tree.get(path);
      // Our index puts this block there, so a file that no longer matches its record is a
      // change the scanner has not recorded yet.
      const claimed = rec !== undefined && recordHasBlockAt(rec, hash, size, offset);
      // Hashing a small block costs less than an fstat through the thread pool.
      const trustStat = claimed && size >= TRUST_STAT_MIN_BYTES;
      let data: Buffer | null = null;
      let stale = claimed;
      try {
        data = await this.handles.use(path, async (handle, statNow) => {
          const buf = Buffer.allocUnsafe(size);
          const n = await handle.read(buf, 0, size, offset);
          if (n !== size) return null;
          if (trustStat && statMatchesRecord(await statNow(), rec)) {
            stale = false;
            return buf;
          }
          if (!blockHash(buf).equals(hash)) return null;
          if (!trustStat) stale = false; // same bytes as the record says: nothing to rescan
          return buf;
        });
      } catch {
        // unreadable or gone: stale if the index says the block is there
      }
      if (stale) this.requestScan([path]);
      return data;
    };
    const hinted = this.tree.get(hint.path);
    if (hinted && !hinted.deleted && hinted.type === 'file') {
      const data = await tryRead(hint.path, hint.offset);
      if (data) return data;
    }
    const loc = this.deps.store.index.findBlock(this.folderId, hash);
    if (loc && loc.size === size && (loc.path !== hint.path || loc.offset !== hint.offset)) {
      const data = await tryRead(loc.path, loc.offset);
      if (data) return data;
    }
    throw new NotFoundError('block not found');
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
        const work = this.pullable();
        if (work.length > 0) {
          this.setState('syncing');
          await this.pullBatch(work, signal);
          continue;
        }
        this.setState(this.failures.size > 0 && this.lastError ? 'error' : 'idle');
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

  /** Needs that can be acted on now, in a safe order: directories first, deletions last. */
  private pullable(): NeedItem[] {
    const now = this.deps.clock.now();
    const connected = new Set(this.deps.connectedPeers().map((p) => p.deviceId));
    const items = [...this.view.needList(), ...this.revertItems()].filter((n) => {
      const failed = this.failures.get(n.path);
      if (failed && now - failed.at < RETRY_MS) return false;
      const w = n.action.winner;
      if (n.action.kind === 'merge' || w.deleted || w.type === 'dir' || w.size === 0) return true;
      return n.holders.some((d) => connected.has(d));
    });
    return items.sort((a, b) => rank(a) - rank(b) || order(a, b));
  }

  /** Needs made of the local changes the user asked to revert: take the shared version. */
  private revertItems(): NeedItem[] {
    if (this.reverting.size === 0) return [];
    const out: NeedItem[] = [];
    const changes = new Map(this.view.localChangeList());
    for (const path of [...this.reverting]) {
      const change = changes.get(path);
      const local = this.tree.get(path);
      if (!change || !local || this.view.need(path)) {
        if (!change || !local) this.reverting.delete(path);
        continue;
      }
      // No shared version: the path exists only here, so reverting removes it (kept as a version).
      const winner = change.shared ?? { ...local, deleted: true, size: 0, blocks: [] };
      out.push({ path, action: { kind: 'apply', winner }, holders: change.holders });
    }
    return out;
  }

  private async pullBatch(items: NeedItem[], signal: AbortSignal): Promise<void> {
    this.progress.plan(items.length, items.reduce((s, n) => s + (n.action.winner.deleted ? 0 : n.action.winner.size), 0));
    // Directories and deletions go one by one (parents before children); files in parallel.
    let i = 0;
    const started = this.deps.clock.now();
    // A queued scan waits for a while: the engine's own writes queue scans all the time, and a
    // local change that lands meanwhile is caught before any replace (Puller.assertUnchanged).
    const yieldToScan = () => this.scanQueue !== null && this.deps.clock.now() - started > SCAN_YIELD_MS;
    while (i < items.length && !signal.aborted && !yieldToScan()) {
      const item = items[i]!;
      const group: NeedItem[] = [];
      if (rank(item) !== 1) group.push(items[i++]!);
      else {
        let bytes = 0;
        while (i < items.length && rank(items[i]!) === 1) {
          const size = items[i]!.action.winner.size;
          const fits = group.length < PARALLEL_FILES || (group.length < SMALL_GROUP_FILES && bytes + size <= SMALL_GROUP_BYTES);
          if (!fits) break;
          bytes += size;
          group.push(items[i++]!);
        }
      }
      const applied = await Promise.all(group.map((n) => this.apply(n, signal)));
      await this.settle(applied.map((r) => (r === STALE ? null : r)));
      // What this batch planned no longer holds (new index data arrived): plan again, so that
      // e.g. a directory is not deleted before the files in it whose deletion just changed.
      if (applied.includes(STALE)) return;
    }
  }

  /**
   * Makes applied changes durable, then records them: one fsync per directory touched (so the
   * renames survive a crash) before the index says the new versions are here.
   */
  private async settle(applied: (LocalFileRecord | null)[]): Promise<void> {
    const records = applied.filter((r): r is LocalFileRecord => r !== null);
    if (records.length === 0) return;
    const dirs = new Set(records.map((r) => parentPath(r.path)));
    await Promise.all([...dirs].map((d) => this.deps.fs.syncDir(d).catch(() => undefined)));
    for (const r of records) {
      this.failures.delete(r.path);
      this.reverting.delete(r.path);
    }
    this.commit(records);
    for (const r of records) {
      this.progress.fileDone();
      this.deps.events.emit('folder.pulled', { folderId: this.folderId, path: r.path, deleted: r.deleted });
    }
  }

  /** Applies one need to disk; returns the record to commit once the change is durable. */
  private async apply(item: NeedItem, signal: AbortSignal): Promise<LocalFileRecord | null | typeof STALE> {
    // The need may have changed while earlier items were applied.
    const current = this.reverting.has(item.path) ? item : this.view.need(item.path);
    if (!current || !sameNeed(current, item)) return STALE;
    const { action, path } = item;
    const winner = action.winner;
    try {
      let st: FsStat | null = null;
      if (action.kind === 'merge') {
        st = winner.deleted ? null : await this.puller.pullMetadata(winner);
        // Taking a dominating version as it is keeps its author's signature; a merge of two
        // concurrent versions is a new version, made (and signed) here. Not bumped: two devices
        // merging the same pair reach the same vector.
        if (compareVersions(action.version, winner.version) === 'equal') return pulledRecord(winner, st);
        return pulledRecord({ ...winner, version: action.version, modifiedBy: this.deps.selfId, sig: UNSIGNED }, st);
      }
      const local = this.tree.get(path);
      const conflicting = action.kind === 'conflict' && local !== undefined && !local.deleted ? local : undefined;
      // A file that replaces ours in a conflict: ours becomes the copy only once the winner is
      // complete (Puller.pullFile), so a transfer that fails leaves everything as it was.
      // Anything else replaces ours straight away: the copy first.
      if (conflicting && (winner.deleted || winner.type === 'dir')) {
        const copy = await this.puller.moveToConflict(conflicting);
        this.tree.set({ ...conflicting, deleted: true }); // in memory only until the winner is recorded
        this.noteConflict(path, copy);
      }
      if (winner.deleted) await this.puller.pullDelete(path);
      else if (winner.type === 'dir') st = await this.puller.pullDir(winner);
      else {
        this.holdersOf.set(path, this.holders(path));
        try {
          const written = await this.puller.pullFile(winner, signal, conflicting && !winner.deleted && winner.type === 'file' ? { conflictWith: conflicting } : {});
          if (written.conflictCopy !== undefined) this.noteConflict(path, written.conflictCopy);
          st = written;
        } finally {
          this.holdersOf.delete(path);
        }
      }
      return pulledRecord(winner, st);
    } catch (err) {
      if (err instanceof AbortedError) throw err;
      if (err instanceof DirectoryNotEmptyError && winner.deleted && (await this.holdsKeptEntries(path))) {
        // Something won inside it (a file added concurrently): the directory stays, as a new
        // version that beats the deletion everywhere.
        const st = await this.deps.fs.lstat(path).catch(() => null);
        if (st?.type === 'dir') {
          return { ...winner, type: 'dir', deleted: false, size: 0, blocks: [], mode: st.mode, mtimeMs: Math.floor(st.mtimeMs), version: bumpVersion(winner.version, this.deps.selfId), modifiedBy: this.deps.selfId, sequence: 0, sig: UNSIGNED, local: { inode: st.inode, statMtimeMs: st.mtimeMs } };
        }
      }
      if (err instanceof LocalChangeError || err instanceof DirectoryNotEmptyError) {
        // A rescan records the local change (which clears this); if it finds none, retry later.
        this.failures.set(path, { at: this.deps.clock.now(), message: err.message });
        this.requestScan([err.path]);
        return null;
      }
      const message = (err as Error).message;
      this.failures.set(path, { at: this.deps.clock.now(), message });
      if (err instanceof AgoraError && err.code === 'DISK_FULL') this.lastError = message;
      this.deps.logger.warn({ path, err: message }, 'could not apply a remote change; will retry');
      return null;
    }
  }

  private noteConflict(path: string, copy: string): void {
    this.deps.events.emit('folder.conflict', { folderId: this.folderId, path, copy });
    this.deps.logger.info({ path, copy }, 'conflict: local version kept as a copy');
    this.requestScan([copy]);
  }

  /**
   * Whether a directory whose deletion won still holds something that stays: a file or
   * directory the index does not know yet, or one whose winning version is not a deletion.
   * Entries that are themselves about to be deleted do not keep it (their deletion may
   * simply not have been applied or received yet).
   */
  private async holdsKeptEntries(dir: string): Promise<boolean> {
    let entries;
    try {
      entries = await this.deps.fs.readdir(dir);
    } catch {
      return false;
    }
    return entries.some((e) => {
      if (isTempName(e.name)) return false; // ours: removed with the directory
      const path = `${dir}/${e.name}`;
      const need = this.view.need(path);
      if (need?.action.winner.deleted) return false;
      const local = this.tree.get(path);
      return local === undefined || !local.deleted || need !== undefined;
    });
  }

  /** Stores own records with fresh sequence numbers, updates the view, tells the peers. */
  private commit(records: LocalFileRecord[]): void {
    const { store } = this.deps;
    // Every version this device made carries its signature, so anyone it reaches can check who made it.
    const made = new Set<FileRecord>();
    let at: readonly string[] | undefined;
    for (const r of records) {
      if (r.modifiedBy !== this.deps.selfId) continue;
      // A version made here (not signed yet) carries the log point we are at now, read once per
      // batch; so does one of ours stored before log points existed, or no peer would take it.
      if (r.sig.byteLength === 0 || r.at.length === 0) r.at = at ??= this.deps.logPoint();
      r.sig = this.deps.signRecord(r);
      made.add(r);
    }
    store.transaction(() => {
      let seq = store.index.localSequence(this.folderId);
      for (const r of records) r.sequence = ++seq;
      store.index.putLocal(this.folderId, records);
      // History: versions applied from peers (they won among the writers') and our own changes,
      // unless this device may only read (those stay local and are no change of the folder).
      this.history.record(this.selfWrote ? records : records.filter((r) => !made.has(r)), made);
    });
    for (const r of records) {
      this.tree.set(r);
      this.handles.invalidate(r.path);
      // A new local version: what failed here may now work, and so may the directories above
      // it (a directory deletion waits for the files in it).
      for (let p = r.path; p !== ''; p = parentPath(p)) this.failures.delete(p);
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
        inUse: () => this.holdersOf.size > 0,
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
    this.view.update(path, this.deps.selfId, records, peers, this.ignored(path), this.viewAuthority);
  }

  private recomputeAll(): void {
    this.view.clear();
    const { store } = this.deps;
    const peers = store.index.remoteDevices(this.folderId);
    const byPath = new Map<string, { deviceId: string; record: FileRecord }[]>();
    const add = (deviceId: string, record: FileRecord) => {
      const list = byPath.get(record.path);
      if (list) list.push({ deviceId, record });
      else byPath.set(record.path, [{ deviceId, record }]);
    };
    for (const r of this.tree.values()) add(this.deps.selfId, r);
    for (const peer of peers) for (const r of store.index.listRemote(this.folderId, peer)) add(peer, r);
    for (const [path, records] of byPath) this.view.update(path, this.deps.selfId, records, peers, this.ignored(path), this.viewAuthority);
  }

  private ignored(path: string): boolean {
    const r = this.tree?.get(path);
    return this.rules.ignores(path, r?.type === 'dir');
  }

  /** Peers whose index holds the version of `path` we want. */
  private holders(path: string): Set<string> {
    return new Set(this.view.need(path)?.holders ?? this.view.localChange(path)?.holders ?? []);
  }

  // ---- watcher ----

  private readonly watched = new Set<string>();

  private onWatch(paths: string[]): void {
    for (const p of paths) this.watched.add(p);
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

/** The own record for a version now on disk (sequence assigned at commit). */
function pulledRecord(winner: FileRecord, st: FsStat | null): LocalFileRecord {
  return { ...winner, sequence: 0, local: st ? { inode: st.inode, statMtimeMs: st.mtimeMs } : { inode: 0, statMtimeMs: 0 } };
}

/** The same action towards the same version (the records may be other copies of it). */
function sameNeed(a: NeedItem, b: NeedItem): boolean {
  const x = a.action;
  const y = b.action;
  if (x === y) return true;
  if (x.kind !== y.kind || x.winner.deleted !== y.winner.deleted || compareVersions(x.winner.version, y.winner.version) !== 'equal') return false;
  return x.kind !== 'merge' || y.kind !== 'merge' || compareVersions(x.version, y.version) === 'equal';
}

/** What `apply` returns for a need that changed after the batch was planned. */
const STALE = Symbol('stale');

/** 0: directories to create (shallow first), 1: files, 2: deletions (deep first). */
function rank(n: NeedItem): number {
  const w = n.action.winner;
  if (w.deleted) return 2;
  return w.type === 'dir' ? 0 : 1;
}

function order(a: NeedItem, b: NeedItem): number {
  const da = a.path.split('/').length;
  const db = b.path.split('/').length;
  if (rank(a) === 2) return db - da || (a.path < b.path ? -1 : 1);
  return da - db || (a.path < b.path ? -1 : 1);
}

import { AbortedError, AgoraError } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { FolderFs, FsStat } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import type { EventBus } from '../events.js';
import type { GlobalView, NeedItem } from './global-view.js';
import { parentPath, type LocalTree } from './local-tree.js';
import { isTempName } from './names/index.js';
import type { ProgressMeter } from './progress.js';
import { DirectoryNotEmptyError, LocalChangeError, type Puller } from './puller.js';
import { UNSIGNED } from './scanner.js';
import { bumpVersion, compareVersions } from './version-vector.js';

/**
 * How long a path whose apply failed waits before it is tried again. FolderSync's retry timer
 * ticks at this pace, and its loop waits as long after an error.
 */
export const RETRY_MS = 10_000;
const PARALLEL_FILES = 16;
/**
 * Small files join a group beyond PARALLEL_FILES, up to this many files and bytes: each group
 * waits for its slowest file and then fsyncs its directories, so a group costs about two
 * fsync latencies whatever its size, and 20,000 small files in groups of 16 were bound by them.
 */
const SMALL_GROUP_FILES = 128;
const SMALL_GROUP_BYTES = 16 * 1024 * 1024;
/** A pull batch lets a waiting scan run after this long. */
const SCAN_YIELD_MS = 2_000;

export interface NeedApplierDeps {
  folderId: string;
  selfId: string;
  fs: FolderFs;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  puller: Puller;
  view: GlobalView;
  /** This device's records of the folder (loaded when the folder starts). */
  tree(): LocalTree;
  progress: ProgressMeter;
  connectedPeers(): { deviceId: string }[];
  /** Whether a scan is waiting for the loop. */
  scanQueued(): boolean;
  requestScan(paths: string[]): void;
  /** Stores own records with fresh sequence numbers (FolderSync.commit). */
  commit(records: LocalFileRecord[]): void;
  /** A failure the folder's state shows until it clears (a full disk). */
  setError(message: string): void;
}

/**
 * Applies to disk what the peers' indexes say must change here, for FolderSync's loop: picks
 * the needs that can be acted on now, orders them, applies them in groups, and commits each
 * group once it is durable. A need that fails waits RETRY_MS before it is tried again.
 */
export class NeedApplier {
  /** Per path, the last apply that failed (shown in the folder's problems). */
  readonly failures = new Map<string, { at: number; message: string }>();
  /** Read-only folders: paths whose local change the user asked to revert. */
  private readonly reverting = new Set<string>();
  /** Peers holding the version being pulled, per path, worked out once per file rather than per block. */
  private readonly holdersOf = new Map<string, Set<string>>();

  constructor(private readonly deps: NeedApplierDeps) {}

  /** Read-only folders: take the shared version over these paths at the next turn. */
  revert(paths: readonly string[]): void {
    for (const p of paths) this.reverting.add(p);
  }

  /** Peers to fetch the blocks of `path` from. */
  sourcesOf(path: string): Set<string> {
    return this.holdersOf.get(path) ?? this.holders(path);
  }

  /** Whether a file is being pulled (its temp file is in use). */
  get pullingFiles(): boolean {
    return this.holdersOf.size > 0;
  }

  /** Needs that can be acted on now, in a safe order: directories first, deletions last. */
  pullable(): NeedItem[] {
    const now = this.deps.clock.now();
    const connected = new Set(this.deps.connectedPeers().map((p) => p.deviceId));
    const items = [...this.deps.view.needList(), ...this.revertItems()].filter((n) => {
      const failed = this.failures.get(n.path);
      if (failed && now - failed.at < RETRY_MS) return false;
      const w = n.action.winner;
      if (n.action.kind === 'merge' || w.deleted || w.type === 'dir' || w.size === 0) return true;
      return n.holders.some((d) => connected.has(d));
    });
    // Rank and depth worked out once per item, not in every comparison (20,000 needs: ~300k).
    const keyed = items.map((n) => ({ n, rank: rank(n), depth: depthOf(n.path) }));
    keyed.sort((a, b) => a.rank - b.rank || (a.rank === 2 ? b.depth - a.depth : a.depth - b.depth) || (a.n.path < b.n.path ? -1 : 1));
    return keyed.map((k) => k.n);
  }

  /** Needs made of the local changes the user asked to revert: take the shared version. */
  private revertItems(): NeedItem[] {
    if (this.reverting.size === 0) return [];
    const { view } = this.deps;
    const out: NeedItem[] = [];
    const changes = new Map(view.localChangeList());
    for (const path of [...this.reverting]) {
      const change = changes.get(path);
      const local = this.deps.tree().get(path);
      if (!change || !local || view.need(path)) {
        if (!change || !local) this.reverting.delete(path);
        continue;
      }
      // No shared version: the path exists only here, so reverting removes it (kept as a version).
      const winner = change.shared ?? { ...local, deleted: true, size: 0, blocks: [] };
      out.push({ path, action: { kind: 'apply', winner }, holders: change.holders });
    }
    return out;
  }

  async pullBatch(items: NeedItem[], signal: AbortSignal): Promise<void> {
    this.deps.progress.plan(items.length, items.reduce((s, n) => s + (n.action.winner.deleted ? 0 : n.action.winner.size), 0));
    // Directories and deletions go one by one (parents before children); files in parallel.
    let i = 0;
    const started = this.deps.clock.now();
    // A queued scan waits for a while: the engine's own writes queue scans all the time, and a
    // local change that lands meanwhile is caught before any replace (Puller.assertUnchanged).
    const yieldToScan = () => this.deps.scanQueued() && this.deps.clock.now() - started > SCAN_YIELD_MS;
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
    this.deps.commit(records);
    for (const r of records) {
      this.deps.progress.fileDone();
      this.deps.events.emit('folder.pulled', { folderId: this.deps.folderId, path: r.path, deleted: r.deleted });
    }
  }

  /** Applies one need to disk; returns the record to commit once the change is durable. */
  private async apply(item: NeedItem, signal: AbortSignal): Promise<LocalFileRecord | null | typeof STALE> {
    const { puller, selfId } = this.deps;
    // The need may have changed while earlier items were applied.
    const current = this.reverting.has(item.path) ? item : this.deps.view.need(item.path);
    if (!current || !sameNeed(current, item)) return STALE;
    const { action, path } = item;
    const winner = action.winner;
    try {
      let st: FsStat | null = null;
      if (action.kind === 'merge') {
        st = winner.deleted ? null : await puller.pullMetadata(winner);
        // Taking a dominating version as it is keeps its author's signature; a merge of two
        // concurrent versions is a new version, made (and signed) here. Not bumped: two devices
        // merging the same pair reach the same vector.
        if (compareVersions(action.version, winner.version) === 'equal') return pulledRecord(winner, st);
        return pulledRecord({ ...winner, version: action.version, modifiedBy: selfId, sig: UNSIGNED }, st);
      }
      const local = this.deps.tree().get(path);
      const conflicting = action.kind === 'conflict' && local !== undefined && !local.deleted ? local : undefined;
      // A file that replaces ours in a conflict: ours becomes the copy only once the winner is
      // complete (Puller.pullFile), so a transfer that fails leaves everything as it was.
      // Anything else replaces ours straight away: the copy first.
      if (conflicting && (winner.deleted || winner.type === 'dir')) {
        const copy = await puller.moveToConflict(conflicting);
        this.deps.tree().set({ ...conflicting, deleted: true }); // in memory only until the winner is recorded
        this.noteConflict(path, copy);
      }
      if (winner.deleted) await puller.pullDelete(path);
      else if (winner.type === 'dir') st = await puller.pullDir(winner);
      else {
        this.holdersOf.set(path, this.holders(path));
        try {
          const written = await puller.pullFile(winner, signal, conflicting && !winner.deleted && winner.type === 'file' ? { conflictWith: conflicting } : {});
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
          return { ...winner, type: 'dir', deleted: false, size: 0, blocks: [], mode: st.mode, mtimeMs: Math.floor(st.mtimeMs), version: bumpVersion(winner.version, selfId), modifiedBy: selfId, sequence: 0, sig: UNSIGNED, local: { inode: st.inode, statMtimeMs: st.mtimeMs } };
        }
      }
      if (err instanceof LocalChangeError || err instanceof DirectoryNotEmptyError) {
        // A rescan records the local change (which clears this); if it finds none, retry later.
        this.failures.set(path, { at: this.deps.clock.now(), message: err.message });
        this.deps.requestScan([err.path]);
        return null;
      }
      const message = (err as Error).message;
      this.failures.set(path, { at: this.deps.clock.now(), message });
      if (err instanceof AgoraError && err.code === 'DISK_FULL') this.deps.setError(message);
      this.deps.logger.warn({ path, err: message }, 'could not apply a remote change; will retry');
      return null;
    }
  }

  private noteConflict(path: string, copy: string): void {
    this.deps.events.emit('folder.conflict', { folderId: this.deps.folderId, path, copy });
    this.deps.logger.info({ path, copy }, 'conflict: local version kept as a copy');
    this.deps.requestScan([copy]);
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
      const need = this.deps.view.need(path);
      if (need?.action.winner.deleted) return false;
      const local = this.deps.tree().get(path);
      return local === undefined || !local.deleted || need !== undefined;
    });
  }

  /** Peers whose index holds the version of `path` we want. */
  private holders(path: string): Set<string> {
    const { view } = this.deps;
    return new Set(view.need(path)?.holders ?? view.localChange(path)?.holders ?? []);
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

/** Directories to create shallow first, deletions deep first; then by path. */
function depthOf(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) n++;
  return n;
}

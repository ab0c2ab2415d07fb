import { AbortedError, AgoraError, throwIfAborted } from '../../errors/index.js';
import type { FolderFs, FsStat } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { LocalFileRecord } from '../../protocol/index.js';
import type { BlockHasher } from '../../ports/hasher.js';
import { hashFile, inThreadHasher } from './chunking/hash-file.js';
import { IgnoreRules, isTempName, validateRelativePath } from './names/index.js';
import { bumpVersion } from './version-vector.js';

/**
 * A new version's signature and log point are made when it is committed (FolderSync.commit);
 * until then it has none. Whatever makes a version of this device sets this.
 */
export const UNSIGNED = Buffer.alloc(0);

/** A path the scanner skipped, and why (shown in folder status and the log). */
export interface ScanProblem {
  path: string;
  message: string;
}

export interface ScanProgress {
  filesHashed: number;
  bytesHashed: number;
}

export interface ScanDeps {
  fs: FolderFs;
  selfId: string;
  logger: Logger;
  /** The current own record of a path (from the index or from this scan's earlier batches). */
  localRecord(path: string): LocalFileRecord | undefined;
  /** Own records that are not deleted: `path` itself and everything below it ('' = all). */
  livePathsUnder(path: string): string[];
  /** Own records that are not deleted directly inside directory `dir`. */
  liveChildren(dir: string): string[];
  /** Takes changed records (the caller assigns sequences and stores them). Called in batches. */
  commit(records: LocalFileRecord[]): void;
  onProgress?(progress: ScanProgress): void;
  /** Chunks and hashes files of at least OFFLOAD_BYTES (default: on this thread). */
  hasher?: BlockHasher;
}

const IGNORE_FILE = '.agoraignore';
const BATCH_RECORDS = 1000;
/** Commit a batch at least this often while hashing big files, so peers can start pulling. */
const BATCH_BYTES = 64 * 1024 * 1024;
const STAT_CONCURRENCY = 64;
/** Files hashed at once in one directory (big ones also limited to the hasher's parallelism). */
const HASH_CONCURRENCY = 16;
/**
 * Files at least this big go to deps.hasher, up to its parallelism at once. Smaller ones are
 * hashed here, one at a time: for them, handing bytes to another thread costs more than it saves.
 */
const OFFLOAD_BYTES = 1024 * 1024;

/**
 * Finds what changed on disk since the index was last updated and records it as new versions
 * of this device. Trusts size + mtime + inode + mode: only files whose stat changed are
 * re-hashed. Never follows symlinks; skips ignored, temporary and invalid names (reported).
 */
export class Scanner {
  rules = IgnoreRules.parse('');
  private rulesText = '';
  /** Whether the last scan found different ignore rules than the one before. */
  rulesChanged = false;
  private pending: LocalFileRecord[] = [];
  private pendingBytes = 0;
  readonly problems: ScanProblem[] = [];
  /** Engine temp files seen by the last scan (folder-relative), for cleaning up stale ones. */
  readonly tempFiles: string[] = [];
  private progress: ScanProgress = { filesHashed: 0, bytesHashed: 0 };
  /** Files being hashed by deps.hasher right now. */
  private bigHashes = 0;

  constructor(private readonly deps: ScanDeps) {}

  /** Scans `paths` (each with its subtree), or the whole folder when none are given. */
  async scan(paths: readonly string[] | null, signal?: AbortSignal): Promise<void> {
    this.problems.length = 0;
    this.tempFiles.length = 0;
    await this.loadRules();
    const roots = paths === null ? [''] : minimalRoots(paths);
    // The watcher names many single paths (a receiver's own writes: each file and its temp
    // name), so their lstats go in batches too.
    for (let i = 0; i < roots.length; i += STAT_CONCURRENCY) {
      const slice = roots.slice(i, i + STAT_CONCURRENCY);
      const named = slice.filter((p) => p !== '');
      const got = named.length > 0 ? await this.deps.fs.lstatMany(named).catch(() => null) : [];
      const stats = new Map(named.map((p, k) => [p, got === null ? undefined : got[k]]));
      for (const root of slice) {
        throwIfAborted(signal);
        await this.scanPath(root, signal, stats.get(root));
      }
    }
    this.flush();
  }

  private async loadRules(): Promise<void> {
    const text = await this.readRules();
    // The folder recomputes its whole view only when the rules really changed (a 100k-file
    // view takes about a second to rebuild).
    this.rulesChanged = text !== this.rulesText;
    if (this.rulesChanged) {
      this.rulesText = text;
      this.rules = IgnoreRules.parse(text);
    }
  }

  /** The root .agoraignore's text; '' if there is none, it is too big, or it cannot be read. */
  private async readRules(): Promise<string> {
    try {
      const st = await this.deps.fs.lstat(IGNORE_FILE);
      if (st?.type !== 'file' || st.size > 1024 * 1024) return '';
      const handle = await this.deps.fs.openRead(IGNORE_FILE);
      try {
        const buf = Buffer.alloc(st.size);
        let got = 0;
        while (got < st.size) {
          const n = await handle.read(buf, got, st.size - got, got);
          if (n === 0) break;
          got += n;
        }
        return buf.subarray(0, got).toString('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'could not read .agoraignore; ignoring nothing but the defaults');
      return '';
    }
  }

  private skip(path: string, isDir: boolean): boolean {
    if (path === '') return false;
    const base = path.slice(path.lastIndexOf('/') + 1);
    return isTempName(base) || this.rules.ignores(path, isDir);
  }

  /** `known`: the path's lstat if already taken (undefined: take it here). */
  private async scanPath(path: string, signal?: AbortSignal, known?: FsStat | null): Promise<void> {
    if (path !== '') {
      const st = known !== undefined ? known : await this.deps.fs.lstat(path);
      if (st === null) return this.markDeletedUnder(path);
      if (this.skip(path, st.type === 'dir')) return;
      if (st.type !== 'dir') {
        await this.checkEntry(path, st, signal);
        // A directory that became a file: everything that was under it is gone.
        this.markDeletedUnder(path, true);
        return;
      }
      await this.checkEntry(path, st, signal);
    }
    await this.walk(path, signal);
  }

  private async walk(dir: string, signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    let entries;
    try {
      entries = await this.deps.fs.readdir(dir);
    } catch (err) {
      this.problem(dir || '.', `cannot list the directory: ${(err as Error).message}`);
      return;
    }
    const seen = new Set<string>();
    const children: { path: string; type: string }[] = [];
    for (const e of entries) {
      const raw = dir === '' ? e.name : `${dir}/${e.name}`;
      if (e.type === 'file' && isTempName(e.name)) {
        this.tempFiles.push(raw); // a transfer in progress or one left by a crash
        continue;
      }
      let path: string;
      try {
        path = validateRelativePath(raw);
      } catch (err) {
        if (!(dir === '' && e.name === '.agora')) this.problem(raw, (err as Error).message);
        continue;
      }
      if (this.skip(path, e.type === 'dir')) {
        // Still on disk, just ignored now: never announce it as deleted.
        seen.add(path);
        continue;
      }
      children.push({ path, type: e.type });
    }
    // In batches (the adapter makes them cheap): on a big tree this is most of a rescan.
    const stats: (FsStat | null)[] = new Array(children.length);
    for (let i = 0; i < children.length; i += STAT_CONCURRENCY) {
      const slice = children.slice(i, i + STAT_CONCURRENCY);
      const got = await this.deps.fs.lstatMany(slice.map((c) => c.path)).catch(() => slice.map(() => null));
      got.forEach((st, k) => (stats[i + k] = st));
    }
    const subdirs: string[] = [];
    // Files are hashed several at once: a small file costs four thread-pool round trips (open,
    // read, fstat, close) and little CPU, so one at a time the scan waits most of the time.
    // Big files go to the hasher's threads, at most as many as it has.
    const parallel = this.deps.hasher?.parallelism ?? 1;
    const running = new Set<Promise<void>>();
    let bigRunning = 0;
    const failures: unknown[] = [];
    for (let i = 0; i < children.length; i++) {
      const child = children[i]!;
      const st = stats[i];
      if (!st) continue;
      if (st.type === 'symlink' || st.type === 'other') {
        this.problem(child.path, st.type === 'symlink' ? 'symbolic links are not synced' : 'special files are not synced');
        continue;
      }
      seen.add(child.path);
      if (st.type === 'dir') {
        await this.checkEntry(child.path, st, signal);
        subdirs.push(child.path);
        continue;
      }
      if (this.unchanged(child.path, st)) continue;
      const big = parallel > 1 && st.size >= OFFLOAD_BYTES;
      while (running.size >= HASH_CONCURRENCY || (big && bigRunning >= parallel)) await Promise.race(running);
      if (failures.length > 0) throw failures[0];
      if (big) bigRunning++;
      const job: Promise<void> = this.checkEntry(child.path, st, signal)
        .catch((err: unknown) => void failures.push(err))
        .finally(() => {
          running.delete(job);
          if (big) bigRunning--;
        });
      running.add(job);
    }
    await Promise.all(running);
    if (failures.length > 0) throw failures[0];
    // Own records directly in this directory that are no longer on disk were deleted.
    for (const path of this.deps.liveChildren(dir)) {
      if (!seen.has(path)) this.markDeletedUnder(path);
    }
    for (const sub of subdirs) await this.walk(sub, signal);
  }

  /** Whether the index already has `path` as it is on disk (a file: same size, mtime, inode and executable bit). */
  private unchanged(path: string, st: FsStat): boolean {
    const rec = this.deps.localRecord(path);
    if (!rec || rec.deleted || rec.type !== (st.type === 'dir' ? 'dir' : 'file')) return false;
    if (rec.type === 'dir') return true;
    return rec.size === st.size && rec.local.statMtimeMs === st.mtimeMs && rec.local.inode === st.inode && (rec.mode & 0o100) === (st.mode & 0o100);
  }

  private async checkEntry(path: string, st: FsStat, signal?: AbortSignal): Promise<void> {
    if (this.unchanged(path, st)) return;
    const rec = this.deps.localRecord(path);
    const type = st.type === 'dir' ? 'dir' : 'file';
    const mode = st.mode & 0o777;
    let blocks: LocalFileRecord['blocks'] = [];
    let size = 0;
    if (type === 'file') {
      try {
        // The blocks we had for it, which an appended or edited file mostly still has.
        blocks = await this.hash(path, st, rec && !rec.deleted && rec.type === 'file' ? rec.blocks : undefined, signal);
      } catch (err) {
        if (err instanceof AbortedError) throw err;
        // Changed while being read, vanished, or unreadable: the next scan looks again.
        this.problem(path, (err as Error).message);
        return;
      }
      size = st.size;
    }
    const mtimeMs = Math.floor(st.mtimeMs);
    // Same bytes, mode and mtime: only stat details changed (our own write, a copy-back): no new version.
    if (rec && !rec.deleted && rec.type === type && rec.size === size && rec.mtimeMs === mtimeMs && (rec.mode & 0o100) === (mode & 0o100) && sameBlocks(rec.blocks, blocks)) {
      this.add({ ...rec, local: { inode: st.inode, statMtimeMs: st.mtimeMs } }, 0);
      return;
    }
    this.add(
      {
        path,
        type,
        size,
        mtimeMs,
        mode,
        deleted: false,
        version: bumpVersion(rec?.version ?? [], this.deps.selfId),
        modifiedBy: this.deps.selfId,
        sequence: 0,
        blocks,
        sig: UNSIGNED, // signed when committed (FolderSync.commit)
        at: [],
        local: { inode: st.inode, statMtimeMs: st.mtimeMs },
      },
      size,
    );
  }

  private async hash(path: string, st: FsStat, prior: LocalFileRecord['blocks'] | undefined, signal?: AbortSignal): Promise<LocalFileRecord['blocks']> {
    const handle = await this.deps.fs.openRead(path);
    try {
      const hasher = st.size >= OFFLOAD_BYTES ? (this.deps.hasher ?? inThreadHasher) : inThreadHasher;
      // A file hashed alone (an edited or appended file) is cut into segments that use every
      // thread; files hashed side by side already do.
      const segments = Math.max(1, Math.floor(hasher.parallelism / (this.bigHashes + 1)));
      if (hasher !== inThreadHasher) this.bigHashes++;
      let blocks;
      try {
        blocks = await hashFile(handle, st.size, signal, hasher, segments, prior);
      } finally {
        if (hasher !== inThreadHasher) this.bigHashes--;
      }
      const after = await handle.stat();
      if (after.size !== st.size || after.mtimeMs !== st.mtimeMs) {
        throw new AgoraError('CONFLICT', `${path} changed while it was being read; it will be scanned again`);
      }
      this.progress = { filesHashed: this.progress.filesHashed + 1, bytesHashed: this.progress.bytesHashed + st.size };
      this.deps.onProgress?.(this.progress);
      return blocks;
    } finally {
      await handle.close();
    }
  }

  /** Tombstones for `path` and everything under it that the index still has. */
  private markDeletedUnder(path: string, onlyBelow = false): void {
    const paths = this.deps.livePathsUnder(path).filter((p) => (onlyBelow ? p !== path : true));
    // Children before their directory: a peer that reads our index in order never sees a
    // directory deleted while the files in it still exist.
    paths.sort((a, b) => depth(b) - depth(a));
    for (const p of paths) {
      const rec = this.deps.localRecord(p);
      if (!rec || rec.deleted) continue;
      this.add(
        {
          ...rec,
          size: 0,
          deleted: true,
          blocks: [],
          version: bumpVersion(rec.version, this.deps.selfId),
          modifiedBy: this.deps.selfId,
          sig: UNSIGNED,
          local: { inode: 0, statMtimeMs: 0 },
        },
        0,
      );
    }
  }

  private add(record: LocalFileRecord, bytes: number): void {
    this.pending.push(record);
    this.pendingBytes += bytes;
    if (this.pending.length >= BATCH_RECORDS || this.pendingBytes >= BATCH_BYTES) this.flush();
  }

  private flush(): void {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    this.deps.commit(batch);
  }

  private problem(path: string, message: string): void {
    if (this.problems.length < 1000) this.problems.push({ path, message });
    this.deps.logger.debug({ path, reason: message }, 'scan skipped a path');
  }
}

function sameBlocks(a: readonly { hash: Buffer; size: number }[], b: readonly { hash: Buffer; size: number }[]): boolean {
  return a.length === b.length && a.every((blk, i) => blk.size === b[i]!.size && blk.hash.equals(b[i]!.hash));
}

function depth(path: string): number {
  let n = 0;
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) n++;
  return n;
}

/** Drops paths that lie under another path of the list (their scan covers them). */
function minimalRoots(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths)].sort();
  const out: string[] = [];
  for (const p of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && (last === '' || p.startsWith(last + '/'))) continue;
    out.push(p);
  }
  return out.includes('') ? [''] : out;
}

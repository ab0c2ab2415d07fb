import pLimit from 'p-limit';
import { AgoraError, FsError, throwIfAborted } from '../../errors/index.js';
import type { FolderFs, FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import type { BlockLocation } from '../../ports/store.js';
import type { BlockRef, FileRecord, LocalFileRecord } from '../../protocol/index.js';
import { blockHash } from '../../protocol/index.js';
import { conflictName, isTempName, tempNameFor } from './names/index.js';
import { EarlyFlush } from './early-flush.js';
import { archiveVersion } from './versions.js';
import { versionKey } from './version-vector.js';
import { parentPath } from './local-tree.js';
import { recordHasBlockAt, statMatchesRecord } from './serve-check.js';

/** A directory to delete still holds entries (a file added here concurrently, or unknown files). */
export class DirectoryNotEmptyError extends AgoraError {
  constructor(readonly path: string) {
    super('NOT_EMPTY', `${path} was deleted elsewhere but still holds files here; it is kept`);
    this.name = 'DirectoryNotEmptyError';
  }
}

/** The file on disk is not what the index says: a local change the scanner has not seen yet. */
export class LocalChangeError extends AgoraError {
  constructor(readonly path: string) {
    super('CONFLICT', `${path} changed on this device while a remote version was arriving; the local change is kept`);
    this.name = 'LocalChangeError';
  }
}

export interface PullerDeps {
  fs: FolderFs;
  now(): number;
  /** The current own record of a path. */
  localRecord(path: string): LocalFileRecord | undefined;
  findLocalBlocks(hashes: readonly Buffer[]): Map<string, BlockLocation>;
  fetchBlock(block: BlockRef, hint: { path: string; offset: number }, signal?: AbortSignal): Promise<Buffer>;
  /** Bytes written into a file being assembled, and where they came from. */
  onBytes?(bytes: number, source: 'peer' | 'local' | 'resumed'): void;
}

/** Blocks fetched at once for one file: enough to keep a fast link busy, bounded memory. */
const PARALLEL_BLOCKS = 32;
/**
 * Blocks fetched or being written at once for the whole folder, whatever the number of files
 * pulled at once (up to 16, each with PARALLEL_BLOCKS workers). A received block lives until
 * its write is done; with 7 big files in flight, hundreds of them waited for the disk, lived
 * long enough to reach V8's old generation, and made a full GC every 64 MB received (bench
 * big, receiver: 18 full GCs against 3 with this bound, CPU 8.0–8.7 s against 7.1, peak RSS
 * 200 against 159 MB). Above the 48 a peer serves at once, so one peer's link stays full.
 */
const HELD_BLOCKS = 64;

/**
 * Applies one remote version to disk, never losing anything: file content is assembled in a
 * temp file next to the target (blocks re-used from local files where possible, the rest
 * fetched and verified), fsynced, and renamed over the target only if the target is still
 * what the index says; the replaced or deleted file is kept as a version first.
 */
export class Puller {
  /** Fetches running with their blocks not yet written, across all the files being pulled. */
  private readonly heldBlocks = pLimit(HELD_BLOCKS);

  constructor(private readonly deps: PullerDeps) {}

  /**
   * Writes `winner` (a file) to disk and returns the stat of the new file. The rename is not
   * yet durable: the caller must `syncDir` the parent before recording the new version.
   */
  /**
   * Writes `winner` to a temp file, then puts it at its path. The file it replaces is kept as
   * a version, or, with `conflictWith`, renamed to a conflict copy (returned in `conflictCopy`):
   * only once the winner is complete, so a transfer that fails leaves the local file in place.
   */
  async pullFile(winner: FileRecord, signal?: AbortSignal, options: { conflictWith?: FileRecord } = {}): Promise<FsStat & { conflictCopy?: string }> {
    const { fs } = this.deps;
    const path = winner.path;
    const temp = tempNameFor(path, versionKey(winner.version));
    let inPlace: Set<number> | null = null;
    // Small files: a full disk shows up as a failed write (DISK_FULL) without a statfs per file.
    if (winner.size >= 1024 * 1024) {
      await this.ensureParent(path);
      inPlace = await this.cloneReplaced(winner, temp);
      await this.checkSpace(temp, winner.size);
    }
    const handle = await this.openTemp(path, temp);
    const out = new EarlyFlush(handle);
    let st: FsStat;
    try {
      const before = await handle.stat();
      await this.fill(handle, out, winner, before.size, signal, inPlace);
      await out.settle();
      // Every block was written, so only a longer leftover from an earlier attempt needs cutting.
      if (before.size > winner.size) await handle.truncate(winner.size);
      // Mode and mtime through the open handle, before the fsync so that it covers them too.
      const mode = fileMode(winner);
      if (before.mode !== mode) await handle.chmod(mode);
      await handle.setMtime(winner.mtimeMs);
      await handle.sync();
      // The stat to record: the file we wrote (rename keeps its inode and mtime), whatever
      // lands at `path` after the rename.
      st = await handle.stat();
    } catch (err) {
      await out.settle().catch(() => undefined);
      await handle.close().catch(() => undefined);
      if (err instanceof FsError && err.code === 'DISK_FULL') await fs.unlink(temp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    const existing = await this.assertUnchanged(path);
    let conflictCopy: string | undefined;
    if (existing?.type === 'file' && options.conflictWith) conflictCopy = await this.moveToConflict(options.conflictWith);
    else if (existing?.type === 'file') await archiveVersion(fs, path, this.deps.now(), 'keep');
    else if (existing?.type === 'dir') await this.removeDir(path);
    await fs.rename(temp, path);
    // The caller fsyncs the directory before it records the new version (once per directory for a batch).
    return conflictCopy === undefined ? st : { ...st, conflictCopy };
  }

  /** Makes `winner` (a directory) exist. */
  async pullDir(winner: FileRecord): Promise<FsStat> {
    const { fs } = this.deps;
    const existing = await fs.lstat(winner.path);
    if (existing && existing.type !== 'dir') {
      await this.assertUnchanged(winner.path);
      await archiveVersion(fs, winner.path, this.deps.now(), 'move');
    }
    await fs.mkdir(winner.path);
    const st = await fs.lstat(winner.path);
    if (!st) throw new FsError('FS', `${winner.path} could not be created`);
    return st;
  }

  /** Applies a deletion: the file is kept as a version, an empty directory removed. */
  async pullDelete(path: string): Promise<void> {
    const { fs } = this.deps;
    const existing = await fs.lstat(path);
    if (!existing) return;
    await this.assertUnchanged(path);
    if (existing.type === 'dir') await this.removeDir(path);
    else await archiveVersion(fs, path, this.deps.now(), 'move');
  }

  /** Takes the winner's mtime and mode for bytes we already have. */
  async pullMetadata(winner: FileRecord): Promise<FsStat> {
    const { fs } = this.deps;
    await this.assertUnchanged(winner.path);
    if (winner.type === 'file') {
      await fs.chmod(winner.path, fileMode(winner));
      await fs.setMtime(winner.path, winner.mtimeMs);
    }
    const st = await fs.lstat(winner.path);
    if (!st) throw new LocalChangeError(winner.path);
    return st;
  }

  /** Our losing version of `local.path` moves aside to its conflict name (which then syncs as a file of its own). */
  async moveToConflict(local: FileRecord): Promise<string> {
    await this.assertUnchanged(local.path);
    const target = conflictName(local.path, local.mtimeMs, local.modifiedBy);
    if (await this.deps.fs.lstat(target)) {
      await archiveVersion(this.deps.fs, target, this.deps.now(), 'move');
    }
    await this.deps.fs.rename(local.path, target);
    return target;
  }

  /**
   * Throws LocalChangeError unless the disk still matches this device's record of `path`;
   * returns what is there (null: nothing), so callers need no second lstat.
   */
  async assertUnchanged(path: string): Promise<FsStat | null> {
    const st = await this.deps.fs.lstat(path);
    const rec = this.deps.localRecord(path);
    if (!rec || rec.deleted) {
      if (st) throw new LocalChangeError(path);
      return null;
    }
    if (!st) throw new LocalChangeError(path);
    if (rec.type === 'dir') {
      if (st.type !== 'dir') throw new LocalChangeError(path);
      return st;
    }
    if (st.type !== 'file' || st.size !== rec.size || st.mtimeMs !== rec.local.statMtimeMs || st.inode !== rec.local.inode) {
      throw new LocalChangeError(path);
    }
    return st;
  }

  /**
   * Opens (creating) the temp file. The parent is looked at only if that fails: usually it
   * exists, and openWrite refuses a link or a file above the name anyway.
   */
  private async openTemp(path: string, temp: string): Promise<WriteHandle> {
    try {
      return await this.deps.fs.openWrite(temp);
    } catch (err) {
      // Missing: created; not a directory: LocalChangeError; fine: the error was something else.
      await this.ensureParent(path);
      if ((await this.deps.fs.lstat(parentPath(path)))?.type !== 'dir') throw err;
      return await this.deps.fs.openWrite(temp);
    }
  }

  /**
   * Starts the temp file as a clone of the file it replaces, where the file system clones
   * (Btrfs, XFS, APFS) and blocks of the new version sit where they were: an appended or edited
   * big file then costs no copy and no disk writes for its unchanged part. Returns the blocks the
   * clone holds in place, or null (no clone: the temp file is assembled as usual).
   *
   * Those blocks are taken unhashed, with the trust the scanner puts in an unchanged stat: the
   * record says they are there, and the file showed the recorded size, mtime and inode before
   * and after the clone (as for the unhashed local runs, LocalSources below).
   */
  private async cloneReplaced(winner: FileRecord, temp: string): Promise<Set<number> | null> {
    const { fs } = this.deps;
    const record = this.deps.localRecord(winner.path);
    if (!record || record.deleted || record.type !== 'file') return null;
    const inPlace = new Set<number>();
    let offset = 0;
    let bytes = 0;
    winner.blocks.forEach((b, i) => {
      if (recordHasBlockAt(record, b.hash, b.size, offset)) {
        inPlace.add(i);
        bytes += b.size;
      }
      offset += b.size;
    });
    if (bytes < CLONE_MIN_BYTES) return null;
    // A leftover of an interrupted attempt is resumed instead (its blocks are checked by hash).
    if (await fs.lstat(temp)) return null;
    const before = await fs.lstat(winner.path);
    if (!before || !statMatchesRecord(before, record)) return null;
    // Any failure (no such file any more, a full disk) leaves the usual path to report it.
    if (!(await fs.cloneFile(winner.path, temp).catch(() => false))) return null;
    const after = await fs.lstat(winner.path).catch(() => null);
    if (!after || !statMatchesRecord(after, record) || this.deps.localRecord(winner.path) !== record) {
      await fs.unlink(temp);
      return null;
    }
    return inPlace;
  }

  /**
   * Writes the missing blocks through `out`; `handle` (the same file) is read for those already
   * there, unless `inPlace` says which they are (a clone).
   */
  private async fill(handle: WriteHandle, out: EarlyFlush, winner: FileRecord, existingSize: number, signal?: AbortSignal, inPlace: Set<number> | null = null): Promise<void> {
    const have = inPlace ?? (await this.alreadyWritten(handle, winner.blocks, existingSize));
    const offsets: number[] = [];
    let offset = 0;
    for (const b of winner.blocks) {
      offsets.push(offset);
      offset += b.size;
    }
    const missing = winner.blocks.map((_, i) => i).filter((i) => !have.has(i));
    for (const i of have) this.deps.onBytes?.(winner.blocks[i]!.size, inPlace ? 'local' : 'resumed');
    const local = this.deps.findLocalBlocks(missing.map((i) => winner.blocks[i]!.hash));
    // Blocks to fetch first: their round trips then overlap the local copying (an appended
    // file's new end would otherwise be asked for only once its unchanged part was copied).
    const runs = localRuns(missing, winner.blocks, local);
    const isFetched = (unit: number[]) => unit.length === 1 && !local.has(winner.blocks[unit[0]!]!.hash.toString('hex'));
    const units = [...runs.filter(isFetched), ...runs.filter((u) => !isFetched(u))];
    const sources = new LocalSources(this.deps.fs, this.deps.localRecord);
    let next = 0;
    const one = async (i: number) => {
      const block = winner.blocks[i]!;
      const localData = await this.readLocal(local.get(block.hash.toString('hex')), block);
      if (localData) {
        await out.write(localData, offsets[i]!);
        this.deps.onBytes?.(localData.byteLength, 'local');
        return;
      }
      await this.heldBlocks(async () => {
        throwIfAborted(signal); // it may have waited for a slot
        const data = await this.deps.fetchBlock(block, { path: winner.path, offset: offsets[i]! }, signal);
        await out.write(data, offsets[i]!);
        this.deps.onBytes?.(data.byteLength, 'peer');
      });
    };
    // A failure stops every worker before fill returns: the caller then closes the file, and a
    // write still in flight would land on whatever file gets that descriptor next.
    const failure: { err?: unknown; failed: boolean } = { failed: false };
    const worker = async () => {
      let runBuffer: Buffer | null = null;
      while (next < units.length && !failure.failed) {
        throwIfAborted(signal);
        const unit = units[next++]!;
        if (unit.length === 1) {
          await one(unit[0]!);
          continue;
        }
        // A run of blocks that sit back to back both here and in one local file (the
        // unchanged part of an edited file): one read, each block hashed, one write.
        runBuffer ??= Buffer.allocUnsafeSlow(RUN_BYTES);
        const data = await sources.readRun(unit.map((i) => winner.blocks[i]!), local.get(winner.blocks[unit[0]!]!.hash.toString('hex'))!, runBuffer);
        if (data) {
          await out.write(data, offsets[unit[0]!]!);
          this.deps.onBytes?.(data.byteLength, 'local');
        } else {
          for (const i of unit) await one(i); // something changed there: block by block
        }
      }
    };
    const guarded = () =>
      worker().catch((err: unknown) => {
        if (failure.failed) return;
        failure.failed = true;
        failure.err = err;
      });
    try {
      await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, units.length) }, guarded));
      if (failure.failed) throw failure.err;
      // Bytes copied unhashed were right only if their files are still as recorded now.
      await sources.confirmTrusted();
    } finally {
      await sources.close();
    }
  }

  /** Blocks a previous, interrupted attempt already wrote into the temp file (checked by hash). */
  private async alreadyWritten(handle: WriteHandle, blocks: readonly BlockRef[], existingSize: number): Promise<Set<number>> {
    const have = new Set<number>();
    if (existingSize === 0) return have;
    let offset = 0;
    for (let i = 0; i < blocks.length; i++) {
      const b = blocks[i]!;
      if (offset + b.size > existingSize) break;
      const buf = Buffer.allocUnsafe(b.size);
      const n = await handle.read(buf, 0, b.size, offset);
      if (n === b.size && blockHash(buf).equals(b.hash)) have.add(i);
      offset += b.size;
    }
    return have;
  }

  /** A block from one of our own files, if it is still there with the right bytes. */
  private async readLocal(loc: BlockLocation | undefined, block: BlockRef): Promise<Buffer | null> {
    if (!loc || loc.size !== block.size) return null;
    try {
      const handle = await this.deps.fs.openRead(loc.path);
      try {
        const buf = Buffer.allocUnsafe(block.size);
        const n = await handle.read(buf, 0, block.size, loc.offset);
        return n === block.size && blockHash(buf).equals(block.hash) ? buf : null;
      } finally {
        await handle.close();
      }
    } catch {
      return null; // moved or changed since it was indexed: fetch it instead
    }
  }

  private async ensureParent(path: string): Promise<void> {
    const parent = parentPath(path);
    if (parent === '') return;
    const st = await this.deps.fs.lstat(parent);
    if (st?.type === 'dir') return;
    if (st) throw new LocalChangeError(parent);
    await this.deps.fs.mkdir(parent);
  }

  private async checkSpace(temp: string, size: number): Promise<void> {
    const existing = (await this.deps.fs.lstat(temp))?.size ?? 0;
    const needed = size - existing;
    if (needed <= 0) return;
    const available = await this.deps.fs.availableBytes();
    if (available < needed + 16 * 1024 * 1024) {
      throw new FsError('DISK_FULL', `Not enough disk space for ${temp.slice(temp.lastIndexOf('/') + 1)}: ${needed} bytes needed, ${available} available. Free some space; syncing resumes by itself.`);
    }
  }

  private async removeDir(path: string): Promise<void> {
    try {
      await this.deps.fs.rmdir(path);
    } catch (err) {
      if (!(err instanceof FsError && err.code === 'NOT_EMPTY')) throw err;
      // Our own leftovers (an interrupted transfer) must not keep a deleted directory alive.
      const entries = await this.deps.fs.readdir(path);
      if (entries.length === 0 || !entries.every((e) => e.type === 'file' && isTempName(e.name))) throw new DirectoryNotEmptyError(path);
      for (const e of entries) await this.deps.fs.unlink(`${path}/${e.name}`);
      await this.deps.fs.rmdir(path).catch((again: unknown) => {
        throw again instanceof FsError && again.code === 'NOT_EMPTY' ? new DirectoryNotEmptyError(path) : again;
      });
    }
  }
}

/** Cloning for fewer bytes in place than this is not worth the extra calls. */
const CLONE_MIN_BYTES = 1024 * 1024;

/**
 * A run of local blocks is read at once up to this size, into a buffer each block worker
 * keeps for the whole pull: 4x fewer reads and writes than block by block, at most
 * PARALLEL_BLOCKS x RUN_BYTES of memory.
 */
const RUN_BYTES = 512 * 1024;

/**
 * The missing blocks (indexes, ascending) as units of work: runs of consecutive blocks whose
 * local copies are consecutive in one file, up to RUN_BYTES, and single blocks otherwise.
 */
function localRuns(missing: readonly number[], blocks: readonly BlockRef[], local: Map<string, BlockLocation>): number[][] {
  const units: number[][] = [];
  let run: number[] = [];
  let runBytes = 0;
  let end: { path: string; offset: number } | null = null;
  for (const i of missing) {
    const block = blocks[i]!;
    const loc = local.get(block.hash.toString('hex'));
    const usable = loc !== undefined && loc.size === block.size;
    const extends_ =
      usable && end !== null && run.length > 0 && run[run.length - 1] === i - 1 && loc.path === end.path && loc.offset === end.offset && runBytes + block.size <= RUN_BYTES;
    if (!extends_) {
      if (run.length > 0) units.push(run);
      run = [];
      runBytes = 0;
      end = null;
    }
    run.push(i);
    if (!usable) {
      units.push(run);
      run = [];
      continue;
    }
    runBytes += block.size;
    end = { path: loc.path, offset: loc.offset + loc.size };
  }
  if (run.length > 0) units.push(run);
  return units;
}

/**
 * Read handles of the local files blocks are copied from, open for one pull.
 *
 * A run is copied without hashing it when this device's record of the source file puts those
 * blocks at those offsets and the open file showed the recorded size, mtime and inode when it
 * was opened: the trust the scanner puts in an unchanged stat (serve-check.ts). Hashing the
 * unchanged 256 MiB of an appended file costs more than the rest of the copy. Such files are
 * stat'ed again once the copy is done (confirmTrusted), so a change made while they were read
 * fails the pull; its retry checks every block already in the temp file by hash.
 */
class LocalSources {
  private readonly handles = new Map<string, Promise<{ handle: ReadHandle; trusted: LocalFileRecord | null }>>();
  /** Sources some run was copied from unhashed. */
  private readonly trustedUsed = new Set<string>();

  constructor(
    private readonly fs: FolderFs,
    private readonly localRecord: (path: string) => LocalFileRecord | undefined,
  ) {}

  /** The bytes of `blocks`, back to back from `first` on, if every block is right; else null. */
  async readRun(blocks: readonly BlockRef[], first: BlockLocation, into: Buffer): Promise<Buffer | null> {
    const total = blocks.reduce((sum, b) => sum + b.size, 0);
    if (total > into.length) return null;
    try {
      const { handle, trusted } = await this.open(first.path);
      const buf = into.subarray(0, total);
      const n = await handle.read(buf, 0, total, first.offset);
      if (n !== total) return null;
      if (trusted && claimsRun(trusted, blocks, first.offset)) {
        this.trustedUsed.add(first.path);
        return buf;
      }
      let at = 0;
      for (const b of blocks) {
        if (!blockHash(buf.subarray(at, at + b.size)).equals(b.hash)) return null;
        at += b.size;
      }
      return buf;
    } catch {
      return null; // moved or unreadable: block by block, fetching what is gone
    }
  }

  /** Throws LocalChangeError if a file some bytes were copied from unhashed changed meanwhile. */
  async confirmTrusted(): Promise<void> {
    for (const path of this.trustedUsed) {
      const { handle, trusted } = await this.open(path);
      if (!trusted || !statMatchesRecord(await handle.stat(), trusted) || this.localRecord(path) !== trusted) throw new LocalChangeError(path);
    }
  }

  private open(path: string): Promise<{ handle: ReadHandle; trusted: LocalFileRecord | null }> {
    let opened = this.handles.get(path);
    if (!opened) {
      opened = (async () => {
        const handle = await this.fs.openRead(path);
        const rec = this.localRecord(path);
        const st = rec ? await handle.stat().catch(() => null) : null;
        return { handle, trusted: rec && st && statMatchesRecord(st, rec) ? rec : null };
      })();
      this.handles.set(path, opened);
    }
    return opened;
  }

  async close(): Promise<void> {
    const handles = [...this.handles.values()];
    this.handles.clear();
    await Promise.all(handles.map((h) => h.then((x) => x.handle.close()).catch(() => undefined)));
  }
}

/** Whether `record` puts `blocks` back to back from `offset` on. */
function claimsRun(record: LocalFileRecord, blocks: readonly BlockRef[], offset: number): boolean {
  let at = offset;
  for (const b of blocks) {
    if (!recordHasBlockAt(record, b.hash, b.size, at)) return false;
    at += b.size;
  }
  return true;
}

/** Only the executable bit travels: other permission bits stay this system's defaults. */
function fileMode(record: FileRecord): number {
  return record.mode & 0o100 ? 0o755 : 0o644;
}

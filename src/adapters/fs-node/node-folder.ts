import { constants, lstatSync, mkdirSync, open as openCallback, openSync, renameSync, statSync, type Stats } from 'node:fs';
import * as fs from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { FolderFs, FsDirEntry, FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import { errnoOf, fsErrorFor, isMissing, linkInPathError, notEmptyError, toFsError } from '../fs-common/fs-errors.js';
import { splitEntryPath, splitRelativePath } from '../fs-common/relative-path.js';
import { attempt, entryType, NodeReadHandle, NodeWriteHandle, toFsStat, type Target } from './node-handles.js';
import { SyncWhileFast } from './sync-while-fast.js';

const openAsync = promisify(openCallback);

/** What copyfile with FICLONE_FORCE fails with where the file system cannot clone these files. */
const CLONE_UNSUPPORTED = new Set(['ENOTSUP', 'EOPNOTSUPP', 'ENOTTY', 'ENOSYS', 'EXDEV', 'EINVAL']);

/** A synchronous lstatMany batch slower than this (~150 µs an entry for 64) means uncached metadata. */
const SLOW_STAT_BATCH_MS = 10;
const ASYNC_STAT_BATCHES = 50;

// Windows has no O_NOFOLLOW; there the parent checks are the only guard.
const NO_FOLLOW = constants.O_NOFOLLOW ?? 0;
const READ_FLAGS = constants.O_RDONLY | NO_FOLLOW;
// 'r+' that creates when missing: O_CREAT without O_TRUNC, so reopening never loses data.
const WRITE_FLAGS = constants.O_RDWR | constants.O_CREAT | NO_FOLLOW;

/**
 * One shared folder on the real file system. Before anything that writes, every existing parent
 * below the root is lstat'ed afresh (nothing cached: the user can swap a folder for a link at any
 * moment) and a link or non-folder there is refused, so no write ever lands outside the root.
 * The final name is never followed either: O_NOFOLLOW on open, lutimes, lstat before chmod.
 */
export class NodeFolderFs implements FolderFs {
  /** lstatMany batches left to do through the thread pool after a slow synchronous one. */
  private asyncStatBatches = 0;
  /** Cheap calls go synchronously while they are fast (shared with this folder's open handles). */
  private readonly calls = new SyncWhileFast();
  /** The file system said it cannot clone (ext4, tmpfs): cloneFile no longer asks. */
  private cannotClone = false;

  constructor(readonly root: string) {}

  async lstat(path: string): Promise<FsStat | null> {
    const abs = this.resolve(path);
    try {
      // The root may itself be a link (see NodeFs); it is the folder, so it is described as one.
      const st = path === '' ? await fs.stat(abs) : await this.lstatOrNull(abs, path);
      return st ? toFsStat(st) : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw toFsError(err, 'inspect', this.root, path);
    }
  }

  /*
   * Synchronous lstat while it is fast: with the metadata cached, as on a rescan, one call costs
   * a few microseconds, less than the promise and thread-pool round trip of an async one (100k
   * files: ~0.4 s against ~1.3 s of main-thread time). A batch that takes long (cold cache,
   * network file system) would block the event loop, so after one the next batches go through
   * the thread pool.
   */
  async lstatMany(paths: readonly string[]): Promise<(FsStat | null)[]> {
    const abs = paths.map((p) => this.resolve(p)); // every path is checked before any I/O
    const statOf = (i: number) => (paths[i] === '' ? fs.stat(abs[i]!) : fs.lstat(abs[i]!));
    if (this.asyncStatBatches > 0) {
      this.asyncStatBatches--;
      return Promise.all(abs.map((_, i) => statOf(i).then(toFsStat, () => null)));
    }
    const started = performance.now();
    const out = abs.map((a, i) => {
      try {
        const st = paths[i] === '' ? statSync(a, { throwIfNoEntry: false }) : lstatSync(a, { throwIfNoEntry: false });
        return st ? toFsStat(st) : null;
      } catch {
        return null;
      }
    });
    if (performance.now() - started > SLOW_STAT_BATCH_MS) this.asyncStatBatches = ASYNC_STAT_BATCHES;
    return out;
  }

  async readdir(path: string): Promise<FsDirEntry[]> {
    const abs = this.resolve(path);
    const entries = await attempt('list', this.at(path), () => fs.readdir(abs, { withFileTypes: true }));
    return entries.map((e) => ({ name: e.name, type: entryType(e) }));
  }

  async openRead(path: string): Promise<ReadHandle> {
    const abs = this.resolve(path);
    const fd = await attempt('open', this.at(path), () => this.calls.run(() => openSync(abs, READ_FLAGS), () => openAsync(abs, READ_FLAGS)));
    return new NodeReadHandle(fd, this.at(path), this.calls);
  }

  async openWrite(path: string): Promise<WriteHandle> {
    const segments = splitEntryPath(path, 'open for writing');
    await this.refuseLinksAbove(segments, 'write', path);
    const abs = this.absolute(segments);
    const fd = await attempt('open for writing', this.at(path), () => this.calls.run(() => openSync(abs, WRITE_FLAGS, 0o644), () => openAsync(abs, WRITE_FLAGS, 0o644)));
    return new NodeWriteHandle(fd, this.at(path), this.calls);
  }

  // One level at a time rather than { recursive: true }, so that each level is checked as it is
  // reached and an existing link is never descended into.
  async mkdir(path: string): Promise<void> {
    const segments = splitRelativePath(path);
    for (let depth = 1; depth <= segments.length; depth++) {
      const prefix = segments.slice(0, depth);
      const abs = this.absolute(prefix);
      let existing = await this.lstatOrNull(abs, path);
      if (!existing) {
        try {
          await this.calls.run(() => mkdirSync(abs, 0o755), () => fs.mkdir(abs, 0o755));
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw toFsError(err, 'create the folder', this.root, path);
        }
        existing = await this.lstatOrNull(abs, path);
      }
      if (!existing?.isDirectory()) {
        throw linkInPathError('create the folder', this.root, path, prefix.join('/'), existing?.isSymbolicLink() ?? false);
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const fromSegments = splitEntryPath(from, 'rename');
    const toSegments = splitEntryPath(to, 'rename');
    await this.refuseLinksAbove(fromSegments, 'rename', from);
    // A temp file renamed over its target (every pulled file) has the same parents: one check.
    if (!sameParents(fromSegments, toSegments)) await this.refuseLinksAbove(toSegments, 'rename', to);
    const [source, target] = [this.absolute(fromSegments), this.absolute(toSegments)];
    await attempt('rename', this.at(from), () => this.calls.run(() => renameSync(source, target), () => fs.rename(source, target)));
  }

  // link(2) does not follow a final link either: it would name the link itself, never its target.
  async link(from: string, to: string): Promise<void> {
    const fromSegments = splitEntryPath(from, 'link');
    const toSegments = splitEntryPath(to, 'link');
    await this.refuseLinksAbove(fromSegments, 'link', from);
    await this.refuseLinksAbove(toSegments, 'link', to);
    await attempt('link', this.at(from), () => fs.link(this.absolute(fromSegments), this.absolute(toSegments)));
  }

  /*
   * copyfile with FICLONE_FORCE: ioctl(FICLONE) on Linux, clonefile on macOS, or an error and
   * no file (libuv removes what it created). EXCL: the new name is created with O_EXCL, so an
   * existing name, link or not, is never followed or replaced. The source is opened by path and
   * followed, so it is checked to be a plain file before and after, same inode both times.
   */
  async cloneFile(from: string, to: string): Promise<boolean> {
    const fromSegments = splitEntryPath(from, 'clone');
    const toSegments = splitEntryPath(to, 'clone');
    await this.refuseLinksAbove(fromSegments, 'clone', from);
    await this.refuseLinksAbove(toSegments, 'clone', to);
    const [source, target] = [this.absolute(fromSegments), this.absolute(toSegments)];
    const before = await this.lstatOrNull(source, from);
    if (!before) throw fsErrorFor('ENOENT', 'clone', this.root, from, 'no such file');
    if (before.isSymbolicLink()) throw linkInPathError('clone', this.root, from, from, true);
    if (!before.isFile()) throw fsErrorFor(before.isDirectory() ? 'EISDIR' : 'EINVAL', 'clone', this.root, from, 'it is not a file');
    if (this.cannotClone) return false;
    try {
      await fs.copyFile(source, target, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE_FORCE);
    } catch (err) {
      const errno = errnoOf(err);
      if (errno !== undefined && CLONE_UNSUPPORTED.has(errno)) {
        // Whether a file system clones does not change while it is mounted; EXDEV and EINVAL
        // may be about these two files only.
        if (errno !== 'EXDEV' && errno !== 'EINVAL') this.cannotClone = true;
        return false;
      }
      throw toFsError(err, 'clone', this.root, from);
    }
    const after = await this.lstatOrNull(source, from);
    if (!after?.isFile() || after.ino !== before.ino || after.dev !== before.dev) {
      await fs.unlink(target).catch(() => undefined);
      throw fsErrorFor('ESTALE', 'clone', this.root, from, 'it was replaced while it was cloned');
    }
    return true;
  }

  async unlink(path: string): Promise<void> {
    const segments = splitEntryPath(path, 'remove');
    await this.refuseLinksAbove(segments, 'remove', path);
    try {
      await fs.unlink(this.absolute(segments));
    } catch (err) {
      // ENOTDIR here means a parent is a file, so the entry is gone too.
      if (!isMissing(err)) throw toFsError(err, 'remove', this.root, path);
    }
  }

  async rmdir(path: string): Promise<void> {
    const segments = splitEntryPath(path, 'remove');
    await this.refuseLinksAbove(segments, 'remove', path);
    try {
      await fs.rmdir(this.absolute(segments));
    } catch (err) {
      const errno = errnoOf(err);
      if (errno === 'ENOENT') return;
      if (errno === 'ENOTEMPTY' || errno === 'EEXIST') throw notEmptyError(this.root, path, err);
      // ENOTDIR is ambiguous: a parent is a file (gone: fine) or the entry itself is one (an error).
      if (errno === 'ENOTDIR' && (await this.lstat(path)) === null) return;
      throw toFsError(err, 'remove the folder', this.root, path);
    }
  }

  async chmod(path: string, mode: number): Promise<void> {
    const op = 'change permissions of';
    const segments = splitRelativePath(path);
    await this.refuseLinksAbove(segments, op, path);
    const abs = this.absolute(segments);
    // chmod(2) follows links and Linux has no lchmod: refuse a link as the final name too.
    // The root is the exception: it may be a link the user made (see NodeFs).
    const current = segments.length === 0 ? await attempt(op, this.at(path), () => fs.stat(abs)) : await this.lstatOrNull(abs, path);
    if (!current) throw fsErrorFor('ENOENT', op, this.root, path, 'no such file or folder');
    if (current.isSymbolicLink()) throw linkInPathError(op, this.root, path, path, true);
    // Only permission bits: setuid/setgid/sticky from a peer would be a security hole.
    await attempt(op, this.at(path), () => fs.chmod(abs, mode & 0o777));
  }

  async setMtime(path: string, mtimeMs: number): Promise<void> {
    const segments = splitRelativePath(path);
    await this.refuseLinksAbove(segments, 'set the time of', path);
    // lutimes sets a final link's own time, never its target's; the root (maybe a link) is followed.
    const setTimes = segments.length === 0 ? fs.utimes : fs.lutimes;
    await attempt('set the time of', this.at(path), () => setTimes(this.absolute(segments), Date.now() / 1000, mtimeMs / 1000));
  }

  async syncDir(path: string): Promise<void> {
    // Windows cannot open or fsync a directory, and NTFS journals renames itself.
    if (process.platform === 'win32') return;
    const abs = this.resolve(path);
    await attempt('flush the folder', this.at(path), async () => {
      const fd = await this.calls.run(() => openSync(abs, 'r'), () => openAsync(abs, 'r'));
      // Only sync() and close() are used on it: the handle type is for the descriptor, not the mode.
      const dir = new NodeWriteHandle(fd, this.at(path), this.calls);
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    });
  }

  async availableBytes(): Promise<number> {
    const info = await attempt('measure free space for', this.at(''), () => fs.statfs(this.root));
    return Number(info.bavail) * Number(info.bsize);
  }

  /** Throws if an existing parent of the entry is a link or not a folder; stops at the first missing one. */
  private async refuseLinksAbove(segments: readonly string[], op: string, path: string): Promise<void> {
    for (let depth = 1; depth < segments.length; depth++) {
      const prefix = segments.slice(0, depth);
      const parent = await this.lstatOrNull(this.absolute(prefix), path);
      if (!parent) return;
      if (!parent.isDirectory()) throw linkInPathError(op, this.root, path, prefix.join('/'), parent.isSymbolicLink());
    }
  }

  private async lstatOrNull(abs: string, path: string): Promise<Stats | null> {
    try {
      // A missing name is common here (a file about to be created): no exception for it.
      return await this.calls.run<Stats | null>(() => lstatSync(abs, { throwIfNoEntry: false }) ?? null, () => fs.lstat(abs));
    } catch (err) {
      if (isMissing(err)) return null;
      throw toFsError(err, 'inspect', this.root, path);
    }
  }

  private resolve(path: string): string {
    return this.absolute(splitRelativePath(path));
  }

  private absolute(segments: readonly string[]): string {
    return segments.length === 0 ? this.root : join(this.root, ...segments);
  }

  private at(path: string): Target {
    return { root: this.root, path };
  }
}

function sameParents(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length - 1; i++) if (a[i] !== b[i]) return false;
  return true;
}

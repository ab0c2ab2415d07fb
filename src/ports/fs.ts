/**
 * The file system as the sync engine sees it: one shared folder at a time, addressed by
 * folder-relative '/'-separated paths. Adapters refuse any path that would leave the root
 * ('..', absolute, drive letters, NUL) and never write through a symlinked directory, so
 * that nothing is ever written outside the folder even if the core had a bug.
 */

export type FsEntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface FsStat {
  type: FsEntryType;
  size: number;
  /** ms since epoch, may be fractional. */
  mtimeMs: number;
  /** Permission bits (mode & 0o777). */
  mode: number;
  inode: number;
}

export interface FsDirEntry {
  name: string;
  type: FsEntryType;
}

export interface ReadHandle {
  /** Reads up to `length` bytes at `position` into buffer[offset..]; resolves to the count read (0 at EOF). */
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number>;
  stat(): Promise<FsStat>;
  close(): Promise<void>;
  /**
   * The open file as an OS file descriptor, where the adapter has one (not the memory adapter).
   * Another thread of this process (a hash worker) may read the file through it, so that it
   * need not wait for this thread; valid only until close(), which the owner must not call
   * while such a read may still be running.
   */
  readonly descriptor?: number;
}

export interface WriteHandle extends ReadHandle {
  /** Writes all of `data` at `position`. */
  write(data: Buffer, position: number): Promise<void>;
  truncate(size: number): Promise<void>;
  /** Flushes data and metadata to stable storage (fsync). */
  sync(): Promise<void>;
  /**
   * Sets the permission bits (mode & 0o777) of the open file. On the handle rather than by
   * path: no path lookup, nothing to follow, and it lands before sync() so the fsync covers it.
   */
  chmod(mode: number): Promise<void>;
  /** Sets the modification time (ms since epoch) of the open file; see chmod for why on the handle. */
  setMtime(mtimeMs: number): Promise<void>;
}

/** One folder root. Every path argument is relative to it; '' is the root itself. */
export interface FolderFs {
  /** Absolute path of the root, for messages and logs. */
  readonly root: string;
  /** Stat without following a final symlink; null if nothing is there. */
  lstat(path: string): Promise<FsStat | null>;
  /**
   * lstat of many entries (a scan's directory), in order: null where nothing is there or it
   * cannot be inspected. Refuses the whole call if any path is invalid. Adapters may do it
   * cheaper than one lstat() each.
   */
  lstatMany(paths: readonly string[]): Promise<(FsStat | null)[]>;
  /** Entries of a directory (not '.'/'..'), in no particular order. */
  readdir(path: string): Promise<FsDirEntry[]>;
  openRead(path: string): Promise<ReadHandle>;
  /** Opens for reading and writing, creating the file (mode 0o644) if missing; never truncates. */
  openWrite(path: string): Promise<WriteHandle>;
  /** Creates the directory and any missing parents; no error if it exists. */
  mkdir(path: string): Promise<void>;
  /** Atomically replaces `to` (a file) with `from`. Both must be in this folder. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Makes `to` a second name of the file `from` (a hard link), so an old version can be kept
   * while a new one replaces it atomically. Throws FsError('FS') where links are unsupported.
   */
  link(from: string, to: string): Promise<void>;
  /**
   * Makes `to`, which must not exist, a copy of the file `from` that shares its storage (a
   * reflink, as Btrfs, XFS and APFS make), so that it costs no copy and no disk writes. Resolves
   * false, having created nothing, where the file system cannot (ext4, tmpfs, NTFS): the caller
   * then copies. Writing to either file afterwards leaves the other as it was.
   */
  cloneFile(from: string, to: string): Promise<boolean>;
  /** Removes a file; no error if it is already gone. */
  unlink(path: string): Promise<void>;
  /** Removes an empty directory; no error if it is already gone. Throws (code NOT_EMPTY) if not empty. */
  rmdir(path: string): Promise<void>;
  chmod(path: string, mode: number): Promise<void>;
  /** Sets the modification time (ms since epoch). */
  setMtime(path: string, mtimeMs: number): Promise<void>;
  /** fsync of a directory, so that a rename in it survives a crash. */
  syncDir(path: string): Promise<void>;
  /** Bytes available to this user on the folder's file system. */
  availableBytes(): Promise<number>;
}

export interface FsPort {
  /** The folder at absolute path `root`, created (with parents) when `create` is true. */
  folder(root: string, options?: { create?: boolean }): Promise<FolderFs>;
}

/** A live subscription to changes under a folder root. */
export interface WatchSubscription {
  close(): Promise<void>;
}

export interface WatcherPort {
  /**
   * Reports folder-relative paths that were created, changed or deleted under `root` (the
   * paths of both ends of a rename). Events may be coalesced or duplicated; the receiver
   * re-scans what it is told about. A watcher that cannot keep up calls onError, and the
   * receiver falls back to a full rescan.
   */
  watch(root: string, onChange: (paths: string[]) => void, onError: (err: Error) => void): Promise<WatchSubscription>;
}

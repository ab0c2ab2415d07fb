import * as fs from 'node:fs';
import type { Stats } from 'node:fs';
import { promisify } from 'node:util';
import type { FsEntryType, FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import { toFsError } from '../fs-common/fs-errors.js';
import type { SyncWhileFast } from './sync-while-fast.js';

/** Where a handle or call points, for error messages. */
export interface Target {
  root: string;
  path: string;
}

export function entryType(s: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): FsEntryType {
  if (s.isFile()) return 'file';
  if (s.isDirectory()) return 'dir';
  if (s.isSymbolicLink()) return 'symlink';
  return 'other';
}

export function toFsStat(s: Stats): FsStat {
  return { type: entryType(s), size: s.size, mtimeMs: s.mtimeMs, mode: s.mode & 0o777, inode: s.ino };
}

/** Runs one system call and turns whatever it throws into an FsError naming the path. */
export async function attempt<T>(op: string, target: Target, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toFsError(err, op, target.root, target.path);
  }
}

/**
 * Reads up to this size may go synchronously (SyncWhileFast): usually a copy from the page
 * cache. It covers a block (at most 512 KiB), which a peer asks for and which goes out right
 * after the read: read on the main thread, its bytes are still in that core's cache when they
 * are framed and encrypted. Bench big (A serves 1 GiB while it hashes it; 6 runs each): 64 KiB
 * 4.98 s median (4.64-5.77), 512 KiB 4.46 s (4.36-4.52). Bigger reads (hashing slices) go
 * through the thread pool, where they overlap with the main thread's work.
 */
const SYNC_READ_MAX_BYTES = 512 * 1024;

/**
 * Writes up to this size may go synchronously. Writing a pulled 128 KiB block into the page
 * cache costs more (new pages), and the main thread of a node that pulls is its busiest: in the
 * thread pool, those copies overlap with decrypting and verifying the next blocks.
 */
const SYNC_WRITE_MAX_BYTES = 64 * 1024;

const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);
const fstatAsync = promisify(fs.fstat);
const closeAsync = promisify(fs.close);
const fsyncAsync = promisify(fs.fsync);
const ftruncateAsync = promisify(fs.ftruncate);
const fchmodAsync = promisify(fs.fchmod);
const futimesAsync = promisify(fs.futimes);

/**
 * An open file as a raw descriptor: cheap calls on it go synchronously while they are fast
 * (SyncWhileFast), which a FileHandle cannot do. Whoever opens one closes it (every caller
 * does, in a finally); unlike a FileHandle, nothing closes it on garbage collection.
 */
export class NodeReadHandle implements ReadHandle {
  private closed = false;

  constructor(
    protected readonly fd: number,
    protected readonly target: Target,
    protected readonly calls: SyncWhileFast,
  ) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return attempt('read', this.target, async () =>
      length <= SYNC_READ_MAX_BYTES
        ? await this.calls.run(() => fs.readSync(this.fd, buffer, offset, length, position), async () => (await readAsync(this.fd, buffer, offset, length, position)).bytesRead)
        : (await readAsync(this.fd, buffer, offset, length, position)).bytesRead,
    );
  }

  /** See ReadHandle: a hash worker reads through it while this handle stays open. */
  get descriptor(): number | undefined {
    return this.closed ? undefined : this.fd;
  }

  stat(): Promise<FsStat> {
    return attempt('inspect', this.target, async () => toFsStat(await this.calls.run(() => fs.fstatSync(this.fd), () => fstatAsync(this.fd))));
  }

  // Idempotent: cleanup paths (finally blocks after an error) may close twice.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await attempt('close', this.target, () => this.calls.run(() => fs.closeSync(this.fd), () => closeAsync(this.fd)));
  }
}

export class NodeWriteHandle extends NodeReadHandle implements WriteHandle {
  write(data: Buffer, position: number): Promise<void> {
    return attempt('write', this.target, async () => {
      // A single write(2) may be partial (large buffers, signals); the port promises all of it.
      let done = 0;
      while (done < data.length) {
        const length = data.length - done;
        const at = position + done;
        done +=
          length <= SYNC_WRITE_MAX_BYTES
            ? await this.calls.run(() => fs.writeSync(this.fd, data, done, length, at), async () => (await writeAsync(this.fd, data, done, length, at)).bytesWritten)
            : (await writeAsync(this.fd, data, done, length, at)).bytesWritten;
      }
    });
  }

  truncate(size: number): Promise<void> {
    return attempt('truncate', this.target, () => this.calls.run(() => fs.ftruncateSync(this.fd, size), () => ftruncateAsync(this.fd, size)));
  }

  sync(): Promise<void> {
    return attempt('flush', this.target, () => fsyncAsync(this.fd));
  }

  // Only permission bits: setuid/setgid/sticky from a peer would be a security hole.
  chmod(mode: number): Promise<void> {
    return attempt('change permissions of', this.target, () => this.calls.run(() => fs.fchmodSync(this.fd, mode & 0o777), () => fchmodAsync(this.fd, mode & 0o777)));
  }

  setMtime(mtimeMs: number): Promise<void> {
    const atime = Date.now() / 1000;
    return attempt('set the time of', this.target, () => this.calls.run(() => fs.futimesSync(this.fd, atime, mtimeMs / 1000), () => futimesAsync(this.fd, atime, mtimeMs / 1000)));
  }
}

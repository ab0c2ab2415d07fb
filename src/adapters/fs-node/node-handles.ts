import type { Stats } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { FsEntryType, FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import { toFsError } from '../fs-common/fs-errors.js';

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

export class NodeReadHandle implements ReadHandle {
  private closed = false;

  constructor(
    protected readonly handle: FileHandle,
    protected readonly target: Target,
  ) {}

  read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    return attempt('read', this.target, async () => (await this.handle.read(buffer, offset, length, position)).bytesRead);
  }

  stat(): Promise<FsStat> {
    return attempt('inspect', this.target, async () => toFsStat(await this.handle.stat()));
  }

  // Idempotent: cleanup paths (finally blocks after an error) may close twice.
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await attempt('close', this.target, () => this.handle.close());
  }
}

export class NodeWriteHandle extends NodeReadHandle implements WriteHandle {
  write(data: Buffer, position: number): Promise<void> {
    return attempt('write', this.target, async () => {
      // A single write(2) may be partial (large buffers, signals); the port promises all of it.
      let done = 0;
      while (done < data.length) {
        const { bytesWritten } = await this.handle.write(data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    });
  }

  truncate(size: number): Promise<void> {
    return attempt('truncate', this.target, () => this.handle.truncate(size));
  }

  sync(): Promise<void> {
    return attempt('flush', this.target, () => this.handle.sync());
  }

  // Only permission bits: setuid/setgid/sticky from a peer would be a security hole.
  chmod(mode: number): Promise<void> {
    return attempt('change permissions of', this.target, () => this.handle.chmod(mode & 0o777));
  }

  setMtime(mtimeMs: number): Promise<void> {
    return attempt('set the time of', this.target, () => this.handle.utimes(Date.now() / 1000, mtimeMs / 1000));
  }
}

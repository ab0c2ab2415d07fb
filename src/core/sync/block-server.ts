import { NotFoundError, throwIfAborted } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { FolderFs } from '../../ports/fs.js';
import type { BlockLocation } from '../../ports/store.js';
import { blockHash, type LocalFileRecord } from '../../protocol/index.js';
import { ReadHandleCache } from './handle-cache.js';
import { recordHasBlockAt, statMatchesRecord } from './serve-check.js';

/** Blocks at least this big are served on the strength of an fstat (serve-check.ts); smaller ones are hashed. */
const TRUST_STAT_MIN_BYTES = 32 * 1024;

export interface BlockServerDeps {
  fs: FolderFs;
  clock: Clock;
  /** This device's record of a path. */
  localRecord(path: string): LocalFileRecord | undefined;
  /** Where this device's index has a block with this hash. */
  findBlock(hash: Buffer): BlockLocation | undefined;
  /** A file no longer matches its record: the scanner should record the change. */
  requestScan(paths: string[]): void;
}

/**
 * Serves the blocks of one folder's files to peers (FolderSync.readBlock), reading through
 * shared open handles (handle-cache.ts).
 */
export class BlockServer {
  private readonly handles: ReadHandleCache;

  constructor(private readonly deps: BlockServerDeps) {
    this.handles = new ReadHandleCache(deps.fs, deps.clock);
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
      const rec = this.deps.localRecord(path);
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
      if (stale) this.deps.requestScan([path]);
      return data;
    };
    const hinted = this.deps.localRecord(hint.path);
    if (hinted && !hinted.deleted && hinted.type === 'file') {
      const data = await tryRead(hint.path, hint.offset);
      if (data) return data;
    }
    const loc = this.deps.findBlock(hash);
    if (loc && loc.size === size && (loc.path !== hint.path || loc.offset !== hint.offset)) {
      const data = await tryRead(loc.path, loc.offset);
      if (data) return data;
    }
    throw new NotFoundError('block not found');
  }

  /** A new local version of `path`: a handle opened on the old file must not serve it. */
  invalidate(path: string): void {
    this.handles.invalidate(path);
  }

  closeAll(): void {
    this.handles.closeAll();
  }
}

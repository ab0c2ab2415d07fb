import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { FolderFs, FsStat, ReadHandle } from '../../ports/fs.js';

interface Entry {
  handle: Promise<ReadHandle>;
  users: number;
  idle: TimerHandle | null;
  /** The fstat in flight, and the one queued to start after it (see statSince). */
  stat: Promise<FsStat> | null;
  nextStat: Promise<FsStat> | null;
}

const MAX_OPEN = 32;
const IDLE_MS = 2_000;

/**
 * Open read handles of the files peers are pulling from us, shared by the requests for
 * their blocks: opening and closing a file per 128 KiB block costs more than reading it.
 * A handle closes when idle, when too many are open, or when its file changes here.
 */
export class ReadHandleCache {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly fs: FolderFs,
    private readonly clock: Clock,
  ) {}

  /**
   * Runs `fn` with an open handle of `path`. `statNow()` resolves with an fstat of that handle
   * that started after the call: what a reader needs to know that the file was unchanged when
   * its read completed. Concurrent readers share stats (one in flight, one queued behind it),
   * so serving many blocks of one file costs a few fstats rather than one per block.
   */
  async use<T>(path: string, fn: (handle: ReadHandle, statNow: () => Promise<FsStat>) => Promise<T>): Promise<T> {
    let entry = this.entries.get(path);
    if (!entry) {
      this.evictIfFull();
      entry = { handle: this.fs.openRead(path), users: 0, idle: null, stat: null, nextStat: null };
      this.entries.set(path, entry);
      entry.handle.catch(() => this.forget(path, entry!));
    }
    const mine = entry;
    mine.users++;
    mine.idle?.cancel();
    mine.idle = null;
    try {
      const handle = await mine.handle;
      return await fn(handle, () => statSince(mine, handle));
    } finally {
      mine.users--;
      if (mine.users === 0 && this.entries.get(path) === mine) {
        mine.idle = this.clock.setTimeout(() => this.forget(path, mine), IDLE_MS);
      }
    }
  }

  /** The file at `path` changed or moved: the next reader opens it anew. */
  invalidate(path: string): void {
    const entry = this.entries.get(path);
    if (entry) this.forget(path, entry);
  }

  closeAll(): void {
    for (const [path, entry] of [...this.entries]) this.forget(path, entry);
  }

  private evictIfFull(): void {
    if (this.entries.size < MAX_OPEN) return;
    for (const [path, entry] of this.entries) {
      if (entry.users === 0) {
        this.forget(path, entry);
        return;
      }
    }
  }

  private forget(path: string, entry: Entry): void {
    if (this.entries.get(path) === entry) this.entries.delete(path);
    entry.idle?.cancel();
    // Readers still using it finish first; closing is deferred until they have.
    const close = () => void entry.handle.then((h) => h.close()).catch(() => undefined);
    if (entry.users === 0) close();
    else {
      const wait = setInterval(() => {
        if (entry.users === 0) {
          clearInterval(wait);
          close();
        }
      }, 50);
      wait.unref?.();
    }
  }
}

/**
 * An fstat that starts after this call. If one is in flight it started earlier, so the caller
 * joins the one queued to start when it ends (created by the first such caller).
 */
function statSince(entry: Entry, handle: ReadHandle): Promise<FsStat> {
  if (entry.stat === null) {
    const stat = handle.stat();
    entry.stat = stat;
    const done = () => {
      if (entry.stat === stat) entry.stat = null;
    };
    stat.then(done, done);
    return stat;
  }
  entry.nextStat ??= entry.stat.then(
    () => undefined,
    () => undefined,
  ).then(() => {
    entry.nextStat = null;
    return statSince(entry, handle);
  });
  return entry.nextStat;
}

import type { FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import { fsErrorFor } from '../fs-common/fs-errors.js';
import { statOf, type MemFile, type MemoryTree, type Place } from './tree.js';

/** Hands out injected write failures; shared by every folder of one MemoryFs. */
export class WriteFailures {
  private remaining = 0;

  failNext(count: number): void {
    this.remaining = count;
  }

  /** True if this write must fail (and uses up one failure). */
  take(): boolean {
    if (this.remaining <= 0) return false;
    this.remaining--;
    return true;
  }
}

export class MemoryReadHandle implements ReadHandle {
  private closed = false;

  constructor(
    protected readonly tree: MemoryTree,
    protected readonly file: MemFile,
    protected readonly place: Place,
  ) {}

  async read(buffer: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.checkOpen('read');
    if (position >= this.file.size) return 0;
    const end = Math.min(this.file.size, position + length);
    return this.file.data.copy(buffer, offset, position, end);
  }

  async stat(): Promise<FsStat> {
    this.checkOpen('inspect');
    return statOf(this.file);
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  protected checkOpen(op: string): void {
    if (this.closed) throw fsErrorFor('EBADF', op, this.place.root, this.place.path, 'the file handle is closed');
  }
}

/** Writes land in the shared MemFile at once; sync() has nothing left to do. */
export class MemoryWriteHandle extends MemoryReadHandle implements WriteHandle {
  constructor(
    tree: MemoryTree,
    file: MemFile,
    place: Place,
    private readonly failures: WriteFailures,
  ) {
    super(tree, file, place);
  }

  async write(data: Buffer, position: number): Promise<void> {
    this.checkOpen('write');
    if (this.failures.take()) throw fsErrorFor('ENOSPC', 'write', this.place.root, this.place.path, 'no space left on device (injected)');
    const end = position + data.length;
    if (end > this.file.size) this.tree.resize(this.file, end, this.place, 'write');
    data.copy(this.file.data, position);
    this.touch();
  }

  async truncate(size: number): Promise<void> {
    this.checkOpen('truncate');
    this.tree.resize(this.file, size, this.place, 'truncate');
    this.touch();
  }

  async sync(): Promise<void> {
    this.checkOpen('flush');
  }

  async chmod(mode: number): Promise<void> {
    this.checkOpen('change permissions of');
    this.file.mode = mode & 0o777;
    this.tree.changed(this.place.segments);
  }

  async setMtime(mtimeMs: number): Promise<void> {
    this.checkOpen('set the time of');
    this.file.mtimeMs = mtimeMs;
    this.tree.changed(this.place.segments);
  }

  private touch(): void {
    this.file.mtimeMs = this.tree.now();
    this.tree.changed(this.place.segments);
  }
}

import type { LocalFileRecord } from '../../protocol/index.js';
import { isConflictName } from './names/index.js';

/** Distinct log points shared between records; past this many, new ones are kept per record. */
const MAX_LOG_POINTS_KEPT = 1024;

/**
 * This device's own index of one folder, in memory, with a parent → children map so that a
 * scan can find deleted entries of a directory without walking every record. Loaded once
 * from the store when the folder starts and kept in step with every commit.
 */
export class LocalTree {
  private readonly records = new Map<string, LocalFileRecord>();
  private readonly children = new Map<string, Set<string>>();
  /** One copy of each device id: every record names its author and its version's devices. */
  private readonly deviceIds = new Map<string, string>();
  /** One copy of each log point (FileRecord.at), by its ids joined. */
  private readonly logPoints = new Map<string, readonly string[]>();
  /** Kept up to date on every set(), so that status never walks the whole index. */
  private counts = { files: 0, bytes: 0, conflicts: 0 };

  constructor(records: Iterable<LocalFileRecord>) {
    for (const r of records) this.set(r);
  }

  get(path: string): LocalFileRecord | undefined {
    return this.records.get(path);
  }

  /** Keeps a compact copy of `record` (see compact()); callers keep theirs. */
  set(full: LocalFileRecord): void {
    const record = this.compact(full);
    const had = this.records.get(record.path);
    if (had) this.count(had, -1);
    this.count(record, 1);
    this.records.set(record.path, record);
    const parent = parentPath(record.path);
    if (record.deleted) {
      this.children.get(parent)?.delete(record.path);
    } else if (!had || had.deleted) {
      let set = this.children.get(parent);
      if (!set) this.children.set(parent, (set = new Set()));
      set.add(record.path);
    }
  }

  /**
   * The same record in less memory, which matters with 100k+ records: device ids (64 hex
   * characters, twice per record) are shared, and the block hashes of a record live in one
   * buffer (for a small file, a slice of a shared pool) instead of one ArrayBuffer per block.
   */
  private compact(r: LocalFileRecord): LocalFileRecord {
    const blocks = r.blocks;
    let compactBlocks = blocks;
    if (blocks.length > 0 && blocks.every((b) => b.hash.length === 32)) {
      const hashes = Buffer.allocUnsafe(blocks.length * 32);
      compactBlocks = blocks.map((b, i) => {
        b.hash.copy(hashes, i * 32);
        return { hash: hashes.subarray(i * 32, i * 32 + 32), size: b.size };
      });
    }
    return {
      path: r.path,
      type: r.type,
      size: r.size,
      mtimeMs: r.mtimeMs,
      mode: r.mode,
      deleted: r.deleted,
      version: r.version.map((c) => ({ device: this.deviceId(c.device), value: c.value })),
      modifiedBy: this.deviceId(r.modifiedBy),
      sequence: r.sequence,
      blocks: compactBlocks,
      // A small copy comes from Node's shared pool, and lets go of the row it was read from.
      sig: Buffer.from(r.sig),
      at: this.logPoint(r.at),
      local: { inode: r.local.inode, statMtimeMs: r.local.statMtimeMs },
    };
  }

  /** One copy of each log point: a whole folder is usually made at a handful of them. */
  private logPoint(at: readonly string[]): readonly string[] {
    const key = at.length === 1 ? at[0]! : at.join(',');
    const known = this.logPoints.get(key);
    if (known !== undefined) return known;
    const copy = Object.freeze([...at]);
    if (this.logPoints.size < MAX_LOG_POINTS_KEPT) this.logPoints.set(key, copy);
    return copy;
  }

  private deviceId(id: string): string {
    const known = this.deviceIds.get(id);
    if (known !== undefined) return known;
    this.deviceIds.set(id, id);
    return id;
  }

  /** Live files (not directories) and their bytes, and live conflict copies. */
  totals(): { files: number; bytes: number; conflicts: number } {
    return { ...this.counts };
  }

  private count(r: LocalFileRecord, sign: 1 | -1): void {
    if (r.deleted || r.type !== 'file') return;
    this.counts.files += sign;
    this.counts.bytes += sign * r.size;
    if (isConflictName(r.path)) this.counts.conflicts += sign;
  }

  liveChildren(dir: string): string[] {
    return [...(this.children.get(dir) ?? [])];
  }

  /** `path` (if live) and every live record below it; '' = the whole folder. */
  livePathsUnder(path: string): string[] {
    const out: string[] = [];
    const self = this.records.get(path);
    if (path !== '' && self && !self.deleted) out.push(path);
    const stack = [path];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      for (const child of this.children.get(dir) ?? []) {
        out.push(child);
        stack.push(child);
      }
    }
    return out;
  }

  values(): IterableIterator<LocalFileRecord> {
    return this.records.values();
  }

  get size(): number {
    return this.records.size;
  }
}

export function parentPath(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

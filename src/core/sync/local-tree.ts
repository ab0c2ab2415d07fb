import type { LocalFileRecord } from '../../protocol/index.js';
import { isConflictName } from './names/index.js';
import { RecordCompactor } from './record-compactor.js';

/**
 * This device's own index of one folder, in memory, with a parent → children map so that a
 * scan can find deleted entries of a directory without walking every record. Loaded once
 * from the store when the folder starts and kept in step with every commit.
 */
export class LocalTree {
  private readonly records = new Map<string, LocalFileRecord>();
  private readonly children = new Map<string, Set<string>>();
  private readonly compactor = new RecordCompactor();
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

  /** The same record in less memory (RecordCompactor), with its local stat data. */
  private compact(r: LocalFileRecord): LocalFileRecord {
    return this.compactor.localRecord(r);
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

import type { FileRecord, LocalFileRecord, VersionVector } from '../../protocol/index.js';

/** Distinct log points shared between records; past this many, new ones are kept per record. */
const MAX_LOG_POINTS_KEPT = 1024;

/**
 * Copies of file records in less memory, for what a folder keeps per path (LocalTree's own
 * records, GlobalView's needs), which matters with 100k+ paths. A record read from the store
 * has its own copy of every device id (64 hex characters, at least twice), of its type, of
 * its log point, and one ArrayBuffer per block hash and signature: ~1.6 KB for a small file.
 * The copy shares device ids, types and log points, and holds its block hashes in one buffer
 * (for a small file, a slice of Node's shared pool).
 */
export class RecordCompactor {
  /** One copy of each device id: every record names its author and its version's devices. */
  private readonly deviceIds = new Map<string, string>();
  /** One copy of each log point (FileRecord.at), by its ids joined. */
  private readonly logPoints = new Map<string, readonly string[]>();

  record(r: FileRecord): FileRecord {
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
      type: r.type === 'dir' ? 'dir' : 'file',
      size: r.size,
      mtimeMs: r.mtimeMs,
      mode: r.mode,
      deleted: r.deleted,
      version: this.version(r.version),
      modifiedBy: this.deviceId(r.modifiedBy),
      sequence: r.sequence,
      blocks: compactBlocks,
      // A small copy comes from Node's shared pool, and lets go of the row it was read from.
      sig: Buffer.from(r.sig),
      at: this.logPoint(r.at),
    };
  }

  /**
   * record() with this device's stat data. Written out as one literal on purpose: V8 gave
   * `{ ...record(r), local }` a hidden class of its own per object once its clone cache went
   * megamorphic, ~450 bytes more per path (100k paths: 45 MB of maps and descriptor arrays).
   */
  localRecord(r: LocalFileRecord): LocalFileRecord {
    const c = this.record(r);
    return {
      path: c.path,
      type: c.type,
      size: c.size,
      mtimeMs: c.mtimeMs,
      mode: c.mode,
      deleted: c.deleted,
      version: c.version,
      modifiedBy: c.modifiedBy,
      sequence: c.sequence,
      blocks: c.blocks,
      sig: c.sig,
      at: c.at,
      local: { inode: r.local.inode, statMtimeMs: r.local.statMtimeMs },
    };
  }

  version(v: VersionVector): VersionVector {
    return v.map((c) => ({ device: this.deviceId(c.device), value: c.value }));
  }

  private logPoint(at: readonly string[]): readonly string[] {
    const key = at.length === 1 ? at[0]! : at.join(',');
    const known = this.logPoints.get(key);
    if (known !== undefined) return known;
    const copy = Object.freeze([...at]);
    if (this.logPoints.size < MAX_LOG_POINTS_KEPT) this.logPoints.set(key, copy);
    return copy;
  }

  deviceId(id: string): string {
    const known = this.deviceIds.get(id);
    if (known !== undefined) return known;
    this.deviceIds.set(id, id);
    return id;
  }
}

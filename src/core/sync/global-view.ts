import type { FileRecord } from '../../protocol/index.js';
import { decide, pickWinner, type Action } from './resolve.js';
import { compareVersions } from './version-vector.js';

/** One path's winning version, kept small: the counts of `folder status` come from these. */
interface GlobalEntry {
  type: FileRecord['type'];
  size: number;
  deleted: boolean;
}

export interface NeedItem {
  path: string;
  action: Exclude<Action, { kind: 'none' }>;
  /** Peers whose index holds exactly the winning version (sources for its blocks). */
  holders: string[];
}

/**
 * The folder as all known devices see it: per path the winning version, what this device
 * must do to reach it, and per peer the paths where its index and ours differ (so that
 * "in sync with every connected peer" is a lookup, not a scan of the whole index).
 */
export class GlobalView {
  private readonly global = new Map<string, GlobalEntry>();
  private readonly needs = new Map<string, NeedItem>();
  private readonly differs = new Map<string, Set<string>>();
  private globalFiles = 0;
  private needByteCount = 0;
  private globalBytes = 0;

  /**
   * Recomputes one path from every device's record of it (`records` holds ours under selfId,
   * `peers` lists every device whose index we hold, so a peer without a record counts too).
   */
  update(path: string, selfId: string, records: readonly { deviceId: string; record: FileRecord }[], peers: readonly string[], ignored: boolean): void {
    const local = records.find((r) => r.deviceId === selfId)?.record;
    const winner = pickWinner(records.map((r) => r.record));
    this.setGlobal(path, winner);
    const action = ignored ? ({ kind: 'none' } as const) : decide(local, winner);
    const before = this.needs.get(path);
    if (before) this.needByteCount -= bytesOf(before);
    if (action.kind === 'none') this.needs.delete(path);
    else {
      const holders = records
        .filter((r) => r.deviceId !== selfId && !r.record.deleted && compareVersions(r.record.version, action.winner.version) === 'equal')
        .map((r) => r.deviceId);
      const item = { path, action, holders };
      this.needs.set(path, item);
      this.needByteCount += bytesOf(item);
    }
    for (const peer of peers) {
      const theirs = records.find((r) => r.deviceId === peer)?.record;
      let set = this.differs.get(peer);
      if (!set) this.differs.set(peer, (set = new Set()));
      if (ignored || equivalent(local, theirs)) set.delete(path);
      else set.add(path);
    }
  }

  /** Forgets everything about a peer's index (it was reset or the peer left). */
  dropPeer(peer: string): void {
    this.differs.delete(peer);
  }

  clear(): void {
    this.global.clear();
    this.needs.clear();
    this.differs.clear();
    this.globalFiles = 0;
    this.globalBytes = 0;
    this.needByteCount = 0;
  }

  needList(): NeedItem[] {
    return [...this.needs.values()];
  }

  need(path: string): NeedItem | undefined {
    return this.needs.get(path);
  }

  get needCount(): number {
    return this.needs.size;
  }

  /** Bytes still to fetch or copy for what this device needs. */
  get needBytes(): number {
    return this.needByteCount;
  }

  /** Paths where the peer's index and ours differ; 0 means in sync (given its index is complete). */
  differences(peer: string): number {
    return this.differs.get(peer)?.size ?? 0;
  }

  /** Files (not directories) that exist in the global version, and their bytes. */
  counts(): { files: number; bytes: number } {
    return { files: this.globalFiles, bytes: this.globalBytes };
  }

  private setGlobal(path: string, winner: FileRecord | undefined): void {
    const old = this.global.get(path);
    if (old && !old.deleted && old.type === 'file') {
      this.globalFiles--;
      this.globalBytes -= old.size;
    }
    if (!winner) {
      this.global.delete(path);
      return;
    }
    this.global.set(path, { type: winner.type, size: winner.deleted ? 0 : winner.size, deleted: winner.deleted });
    if (!winner.deleted && winner.type === 'file') {
      this.globalFiles++;
      this.globalBytes += winner.size;
    }
  }
}

function bytesOf(n: NeedItem): number {
  const w = n.action.winner;
  return (n.action.kind === 'apply' || n.action.kind === 'conflict') && !w.deleted ? w.size : 0;
}

/** Two devices agree on a path: the same version, or neither has a live file there. */
export function equivalent(a: FileRecord | undefined, b: FileRecord | undefined): boolean {
  const aGone = !a || a.deleted;
  const bGone = !b || b.deleted;
  if (aGone && bGone) return true;
  if (!a || !b) return false;
  return compareVersions(a.version, b.version) === 'equal';
}

import type { FileRecord } from '../../protocol/index.js';
import { decide, pickWinner, type Action } from './resolve.js';
import { RecordCompactor } from './record-compactor.js';
import { compareVersions } from './version-vector.js';

/** One path's winning version, kept small: the counts of `folder status` come from these. */
interface GlobalEntry {
  type: FileRecord['type'];
  size: number;
  deleted: boolean;
}

/**
 * Which records may win: those held by a device that may write the folder, or made by one
 * (records a peer relays are signed by their author: see PeerSync), and only if their author
 * could write the folder when it made them. This device's own record always counts here.
 */
export interface Authority {
  mayWrite(deviceId: string): boolean;
  /**
   * Whether the record's author (`modifiedBy`) could write the folder at the log point the
   * record names (`at`); undefined while this device's log lacks an entry of that point.
   */
  wroteAt(record: FileRecord): boolean | undefined;
  /** Whether this device itself may write; if not, its local changes stay local (read-only folder). */
  readonly selfWrites: boolean;
}

/** One device's record of a path: its own version or one it took from another device. */
type Held = { deviceId: string; record: FileRecord };
/** Why a device's records of some paths were left out of the vote. */
type Refusal = 'now' | 'then';
/** A device's refused records, per reason: the paths where one would have won. */
export interface RefusedChanges {
  deviceId: string;
  paths: number;
  /** 'now': held and made by devices that may not write now; 'then': its author could not write when it made it. */
  reason: Refusal;
}

/** A path where this device's copy differs from the shared version, in a read-only folder. */
export interface LocalChange {
  /** The writers' version (undefined: the path does not exist for them). */
  shared: FileRecord | undefined;
  /** Peers whose index holds exactly `shared`. */
  holders: string[];
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
  /** Read-only folders: paths changed here that the writers do not have. */
  private readonly localChanges = new Map<string, LocalChange>();
  /**
   * Paths where a record would have won had it been allowed to: per device without write
   * access (`now`), and per author that could not write when it made the version (`then`).
   */
  private readonly refused = { now: new Map<string, Set<string>>(), then: new Map<string, Set<string>>() };
  /** Paths with a record whose log point this device's log has not reached yet. */
  private readonly waiting = new Set<string>();
  private globalFiles = 0;
  private readonly compactor = new RecordCompactor();
  private needByteCount = 0;
  private globalBytes = 0;

  /**
   * Recomputes one path from every device's record of it (`records` holds ours under selfId,
   * `peers` lists every device whose index we hold, so a peer without a record counts too).
   */
  update(
    path: string,
    selfId: string,
    records: readonly { deviceId: string; record: FileRecord }[],
    peers: readonly string[],
    ignored: boolean,
    authority: Authority,
  ): void {
    const local = records.find((r) => r.deviceId === selfId)?.record;
    // Only writers' records compete: a reader's or a removed member's index is held (it says
    // what that device has, and it may serve blocks) but never decides a version. And only
    // versions made by a writer: one made while its author could not write never counts,
    // whatever access the author has since; one whose log point is not here yet waits.
    const allowed: Held[] = [];
    let refused: { now?: Held[]; then?: Held[] } | undefined;
    this.waiting.delete(path);
    for (const r of records) {
      if (r.deviceId !== selfId && !authority.mayWrite(r.deviceId) && !authority.mayWrite(r.record.modifiedBy)) {
        ((refused ??= {}).now ??= []).push(r);
        continue;
      }
      const then = r.deviceId === selfId || authority.wroteAt(r.record);
      if (then === true) allowed.push(r);
      else if (then === false) ((refused ??= {}).then ??= []).push(r);
      else this.waiting.add(path);
    }
    const winner = pickWinner(allowed.map((r) => r.record));
    this.noteRefused(path, refused, winner);
    this.noteLocalChange(path, selfId, local, records, allowed, authority.selfWrites || ignored);
    this.setGlobal(path, winner);
    const action = ignored ? ({ kind: 'none' } as const) : decide(local, winner);
    const before = this.needs.get(path);
    if (before) this.needByteCount -= bytesOf(before);
    if (action.kind === 'none') this.needs.delete(path);
    else {
      const holders = records
        .filter((r) => r.deviceId !== selfId && !r.record.deleted && compareVersions(r.record.version, action.winner.version) === 'equal')
        .map((r) => r.deviceId);
      // Kept until applied, for every path this device lacks: a compact copy (~100k of them
      // while a big folder arrives).
      const item = { path, action: this.compactAction(action), holders: holders.map((d) => this.compactor.deviceId(d)) };
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

  private noteRefused(path: string, refused: { now?: Held[]; then?: Held[] } | undefined, winner: FileRecord | undefined): void {
    for (const set of this.refused.now.values()) set.delete(path);
    for (const set of this.refused.then.values()) set.delete(path);
    if (!refused) return;
    const note = (byDevice: Map<string, Set<string>>, key: string, r: Held) => {
      const order = winner ? compareVersions(r.record.version, winner.version) : 'newer';
      if (order !== 'newer' && order !== 'concurrent') return;
      let set = byDevice.get(key);
      if (!set) byDevice.set(key, (set = new Set()));
      set.add(path);
    };
    for (const r of refused.now ?? []) note(this.refused.now, r.deviceId, r);
    // Refused for its author's access when it made the version: reported under the author.
    for (const r of refused.then ?? []) note(this.refused.then, r.record.modifiedBy, r);
  }

  private noteLocalChange(
    path: string,
    selfId: string,
    local: FileRecord | undefined,
    records: readonly { deviceId: string; record: FileRecord }[],
    allowed: readonly { deviceId: string; record: FileRecord }[],
    skip: boolean,
  ): void {
    this.localChanges.delete(path);
    if (skip) return;
    const others = allowed.filter((r) => r.deviceId !== selfId);
    const shared = pickWinner(others.map((r) => r.record));
    if (equivalent(local, shared)) return;
    const holders = shared
      ? records.filter((r) => r.deviceId !== selfId && !r.record.deleted && compareVersions(r.record.version, shared.version) === 'equal').map((r) => r.deviceId)
      : [];
    this.localChanges.set(path, { shared, holders });
  }

  /** Read-only folders: the paths changed here, with the shared version of each. */
  localChangeList(): [string, LocalChange][] {
    return [...this.localChanges];
  }

  localChange(path: string): LocalChange | undefined {
    return this.localChanges.get(path);
  }

  get localChangeCount(): number {
    return this.localChanges.size;
  }

  /**
   * Devices whose changes were ignored, with how many paths and why: they may not write
   * (`now`), or their author could not write when it made them (`then`).
   */
  refusedChanges(): RefusedChanges[] {
    const list = (reason: Refusal) =>
      [...this.refused[reason]].filter(([, set]) => set.size > 0).map(([deviceId, set]) => ({ deviceId, paths: set.size, reason }));
    return [...list('now'), ...list('then')];
  }

  /** Paths with a record that waits for its log point to reach this device's log. */
  waitingPaths(): string[] {
    return [...this.waiting];
  }

  /** Forgets everything about a peer's index (it was reset or the peer left). */
  dropPeer(peer: string): void {
    this.differs.delete(peer);
  }

  clear(): void {
    this.global.clear();
    this.needs.clear();
    this.differs.clear();
    this.localChanges.clear();
    this.refused.now.clear();
    this.refused.then.clear();
    this.waiting.clear();
    this.globalFiles = 0;
    this.globalBytes = 0;
    this.needByteCount = 0;
  }

  private compactAction(action: NeedItem['action']): NeedItem['action'] {
    const winner = this.compactor.record(action.winner);
    return action.kind === 'merge' ? { kind: 'merge', winner, version: this.compactor.version(action.version) } : { kind: action.kind, winner };
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

/** What folder status says about changes the view left out (GlobalView.refusedChanges). */
export function refusalMessage(r: RefusedChanges): string {
  const device = r.deviceId.slice(0, 12);
  if (r.reason === 'now') return `${r.paths} change(s) from device ${device} ignored: it may not write this folder`;
  return `${r.paths} change(s) made by device ${device} ignored: it could not write this folder when it made them`;
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

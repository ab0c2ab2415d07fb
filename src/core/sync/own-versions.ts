import type { FileRecord, LocalFileRecord } from '../../protocol/index.js';
import type { Authority } from './global-view.js';
import { UNSIGNED } from './scanner.js';

/*
 * This device's own versions: whether they count (its write access, as last looked at), and
 * what makes them count on every other node (the log point they were made at, a signature).
 */

/**
 * Whether this device could write the folder when access was last looked at. The view uses
 * this, not the live log: between a grant arriving and accessChanged, a recompute would
 * otherwise forget the changes kept while read-only before they are recommitted.
 */
export class SelfWriteLatch {
  private wrote = true;
  private readonly latched: { -readonly [K in keyof Authority]: Authority[K] };

  constructor(private readonly live: Authority) {
    this.latched = {
      mayWrite: (deviceId) => live.mayWrite(deviceId),
      wroteAt: (record) => live.wroteAt(record),
      selfWrites: true,
    };
  }

  /** The authority the view decides with: the live one, with this device's own access as latched. */
  get forView(): Authority {
    return this.latched;
  }

  get selfWrote(): boolean {
    return this.wrote;
  }

  /** Whether this device may write now but could not when access was last latched. */
  get gained(): boolean {
    return this.live.selfWrites && !this.wrote;
  }

  latch(): void {
    this.wrote = this.live.selfWrites;
    this.latched.selfWrites = this.wrote;
  }
}

export interface Signer {
  selfId: string;
  /** The log point this device is at in the folder's space. */
  logPoint(): readonly string[];
  signRecord(record: FileRecord): Buffer;
}

/**
 * Signs, in place, the records in `records` that this device made, and returns them: every
 * version this device made carries its signature, so anyone it reaches can check who made it.
 */
export function signOwnVersions(records: readonly LocalFileRecord[], signer: Signer): Set<FileRecord> {
  const made = new Set<FileRecord>();
  let at: readonly string[] | undefined;
  for (const r of records) {
    if (r.modifiedBy !== signer.selfId) continue;
    // A version made here (not signed yet) carries the log point we are at now, read once per
    // batch; so does one of ours stored before log points existed, or no peer would take it.
    if (r.sig.byteLength === 0 || r.at.length === 0) r.at = at ??= signer.logPoint();
    r.sig = signer.signRecord(r);
    made.add(r);
  }
  return made;
}

/**
 * Changes kept here while read-only, to commit once this device may write: commit gives them
 * fresh sequence numbers, which send them, and signs those made here again at the log point
 * this device is at now, where it may write (made before, they would be ignored by every node).
 */
export function keptChangesToShare(kept: readonly (LocalFileRecord | undefined)[], selfId: string): LocalFileRecord[] {
  return kept.filter((r): r is LocalFileRecord => r !== undefined).map((r) => ({ ...r, ...(r.modifiedBy === selfId ? { sig: UNSIGNED } : {}) }));
}

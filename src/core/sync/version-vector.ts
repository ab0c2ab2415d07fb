import type { VersionVector } from '../../protocol/index.js';

/** How two versions of one path relate: which one has seen the other's changes. */
export type Ordering = 'equal' | 'newer' | 'older' | 'concurrent';

/** Compares a with b: 'newer' means a has seen everything b has, and more. */
export function compareVersions(a: VersionVector, b: VersionVector): Ordering {
  let aAhead = false;
  let bAhead = false;
  let i = 0;
  let j = 0;
  // Both vectors are sorted by device: one merge pass.
  while (i < a.length || j < b.length) {
    const ca = a[i];
    const cb = b[j];
    if (cb === undefined || (ca !== undefined && ca.device < cb.device)) {
      if (ca!.value > 0) aAhead = true;
      i++;
    } else if (ca === undefined || cb.device < ca.device) {
      if (cb.value > 0) bAhead = true;
      j++;
    } else {
      if (ca.value > cb.value) aAhead = true;
      else if (cb.value > ca.value) bAhead = true;
      i++;
      j++;
    }
    if (aAhead && bAhead) return 'concurrent';
  }
  if (aAhead) return 'newer';
  if (bAhead) return 'older';
  return 'equal';
}

/** The least version that has seen both. */
export function mergeVersions(a: VersionVector, b: VersionVector): VersionVector {
  const out = new Map<string, number>();
  for (const c of a) out.set(c.device, c.value);
  for (const c of b) out.set(c.device, Math.max(out.get(c.device) ?? 0, c.value));
  return normalize(out);
}

/**
 * The version after `device` changed a file it held at `base`. The counter jumps to at least
 * the highest counter in the vector plus one, so that it stays ahead of anything this device
 * could have seen (as Syncthing does with its time-based counters).
 */
export function bumpVersion(base: VersionVector, device: string): VersionVector {
  const highest = base.reduce((max, c) => Math.max(max, c.value), 0);
  const out = new Map<string, number>(base.map((c) => [c.device, c.value]));
  out.set(device, highest + 1);
  return normalize(out);
}

export function versionKey(v: VersionVector): string {
  return v.map((c) => `${c.device.slice(0, 16)}:${c.value}`).join(',');
}

/** True if the vector is sorted, each device once, counters positive: what peers must send. */
export function isWellFormedVersion(v: VersionVector): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v[i]!;
    if (!Number.isSafeInteger(c.value) || c.value <= 0) return false;
    if (i > 0 && v[i - 1]!.device >= c.device) return false;
  }
  return true;
}

function normalize(m: Map<string, number>): VersionVector {
  return [...m.entries()]
    .filter(([, value]) => value > 0)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([device, value]) => ({ device, value }));
}

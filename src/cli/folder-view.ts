import { AgoraError } from '../errors/index.js';
import type { FolderProgress, FolderStatus } from '../contract/api.js';
import { UsageError } from './output.js';

/**
 * Pure helpers of the folder commands: human numbers, the progress bar, and when `agora wait`
 * may stop. No I/O here, so each is tested with tables (test/unit/cli-folder.test.ts).
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'] as const;

/** Decimal units, as file managers show them: 999 B, 1.2 kB, 45.6 MB, 456 MB. */
export function formatBytes(n: number): string {
  if (!Number.isFinite(n) || n < 0) return '?';
  let value = n;
  let unit = 0;
  while (value >= 999.5 && unit < UNITS.length - 1) {
    value /= 1000;
    unit++;
  }
  if (unit === 0) return `${Math.round(value)} B`;
  return `${value < 99.95 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

export function formatRate(bytesPerSecond: number): string {
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** 12s, 3m 05s, 2h 03m; '?' when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function plural(n: number, word: string): string {
  return `${formatCount(n)} ${word}${n === 1 ? '' : 's'}`;
}

/** `[████░░░░]` for a fraction in [0, 1]; full only when done. */
export function bar(fraction: number, width: number): string {
  const f = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const full = Math.floor(f * width);
  return `[${'█'.repeat(full)}${'░'.repeat(width - full)}]`;
}

/** Done so far of a batch: by bytes when it moves bytes, else by files. */
export function progressFraction(p: FolderProgress): number {
  if (p.totalBytes > 0) return p.bytes / p.totalBytes;
  if (p.totalFiles > 0) return p.files / p.totalFiles;
  return 0;
}

/** `[████░░░░]  45%  12/30 files  1.2 MB/3.4 MB  5.1 MB/s  12s left` */
export function renderProgress(p: FolderProgress, width = 20): string {
  const fraction = progressFraction(p);
  const parts = [
    `${bar(fraction, width)} ${String(Math.floor(fraction * 100)).padStart(3)}%`,
    `${formatCount(p.files)}/${plural(p.totalFiles, 'file')}`,
  ];
  if (p.totalBytes > 0) parts.push(`${formatBytes(p.bytes)}/${formatBytes(p.totalBytes)}`);
  if (p.rate > 0) parts.push(formatRate(p.rate));
  parts.push(`${formatDuration(p.etaSeconds)} left`);
  return parts.join('  ');
}

export type StatusForView = Pick<FolderStatus, 'state' | 'localFiles' | 'localBytes' | 'needFiles' | 'needBytes' | 'progress' | 'error'>;

/** True while a folder does work a progress bar can show. */
export function isBusy(state: string): boolean {
  return state === 'scanning' || state === 'syncing';
}

/** One line about what a folder is doing now: a bar while it syncs, counts while it scans. */
export function activityLine(s: StatusForView, width = 20): string {
  if (s.state === 'scanning') return `scanning: ${plural(s.localFiles, 'file')} (${formatBytes(s.localBytes)}) indexed so far`;
  if (s.state === 'syncing') {
    const p = s.progress;
    if (p && (p.totalFiles > 0 || p.totalBytes > 0)) return `syncing ${renderProgress(p, width)}`;
    return `syncing: ${plural(s.needFiles, 'file')} (${formatBytes(s.needBytes)}) to fetch`;
  }
  if (s.state === 'error') return `error${s.error ? `: ${s.error}` : ''}`;
  return s.state;
}

/**
 * The Access line of `folder status`: read-only folders say how many local changes are not
 * sent and how to put the shared version back.
 */
export function accessLine(s: Pick<FolderStatus, 'access' | 'localChanges' | 'name' | 'spaceName'>): string {
  if (s.access === 'write') return 'read and write';
  if (s.access === 'none') return 'none (this device no longer receives this folder)';
  const ref = JSON.stringify(`${s.spaceName}/${s.name}`);
  const changes = s.localChanges === 0 ? 'no local changes' : `${plural(s.localChanges, 'local change')} not sent; put the shared version back with: agora folder revert ${ref}`;
  return `read-only: changes made here are not sent (${changes})`;
}

export type StatusForWait = Pick<FolderStatus, 'state' | 'error' | 'needFiles' | 'needBytes' | 'peers'>;

/**
 * `agora wait` is done when the folder is idle, needs nothing, and at least one peer is
 * connected and every connected peer is in sync. Otherwise `missing` says what is not yet so.
 */
export function waitCheck(s: StatusForWait): { done: boolean; missing: string[] } {
  const missing: string[] = [];
  if (s.state !== 'idle') missing.push(`folder is ${s.state}${s.state === 'error' && s.error ? ` (${s.error})` : ''}`);
  if (s.needFiles > 0) missing.push(`still needs ${plural(s.needFiles, 'file')} (${formatBytes(s.needBytes)})`);
  const connected = s.peers.filter((p) => p.connected);
  if (connected.length === 0) missing.push('no peer connected');
  for (const p of connected) if (!p.inSync) missing.push(`peer ${p.deviceId.slice(0, 12)}… not in sync`);
  return { done: missing.length === 0, missing };
}

export interface WaitOptions<S extends StatusForWait> {
  poll: () => Promise<S>;
  timeoutMs: number;
  intervalMs: number;
  /**
   * How long the condition must hold before it counts, so that a change made just before
   * `wait` started, which the node has not noticed yet, is not missed. Cut short by the timeout.
   */
  settleMs: number;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  onStatus?: (status: S, check: { done: boolean; missing: string[] }) => void;
}

export type WaitOutcome<S> = { done: true; status: S } | { done: false; status: S; missing: string[] };

/** Polls until waitCheck has held for settleMs, or the timeout passes. */
export async function waitForSync<S extends StatusForWait>(o: WaitOptions<S>): Promise<WaitOutcome<S>> {
  const deadline = o.now() + o.timeoutMs;
  let heldSince: number | null = null;
  for (;;) {
    let status: S;
    try {
      status = await o.poll();
    } catch (err) {
      // A folder shared a moment ago may not have reached this device yet (the joiner's case).
      if (!(err instanceof AgoraError && err.code === 'NOT_FOUND') || o.now() >= deadline) throw err;
      await o.sleep(Math.min(o.intervalMs, deadline - o.now()));
      continue;
    }
    const check = waitCheck(status);
    o.onStatus?.(status, check);
    const now = o.now();
    heldSince = check.done ? (heldSince ?? now) : null;
    if (heldSince !== null && (now - heldSince >= o.settleMs || now >= deadline)) return { done: true, status };
    if (now >= deadline) return { done: false, status, missing: check.missing };
    await o.sleep(Math.min(o.intervalMs, deadline - now));
  }
}

/** `--timeout`: seconds (decimals allowed), or a duration like 90s, 5m, 1h. */
export function parseTimeout(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([smh]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--timeout takes seconds (e.g. 60, 2.5, 5m), not "${text}"`);
  return Number(m[1]) * (m[2] === 'h' ? 3600 : m[2] === 'm' ? 60 : 1);
}

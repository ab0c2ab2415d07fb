import { describe, expect, it } from 'vitest';
import type { FolderProgress, FolderStatus } from '../../src/contract/api.js';
import {
  activityLine,
  bar,
  formatBytes,
  formatDuration,
  parseTimeout,
  renderProgress,
  waitCheck,
  waitForSync,
  type StatusForWait,
} from '../../src/cli/folder-view.js';
import { fitLine, UsageError } from '../../src/cli/output.js';

const PEER_A = 'a'.repeat(64);
const PEER_B = 'b'.repeat(64);

describe('formatBytes', () => {
  const cases: [number, string][] = [
    [0, '0 B'],
    [1, '1 B'],
    [999, '999 B'],
    [1000, '1.0 kB'],
    [1234, '1.2 kB'],
    [99_949, '99.9 kB'],
    [99_950, '100 kB'],
    [456_000_000, '456 MB'],
    [999_499, '999 kB'],
    [999_500, '1.0 MB'],
    [999_949, '1.0 MB'],
    [999_950, '1.0 MB'],
    [1_200_000, '1.2 MB'],
    [4_294_967_296, '4.3 GB'],
    [2.5e15, '2.5 PB'],
    [-1, '?'],
    [Number.NaN, '?'],
  ];
  for (const [n, want] of cases) it(`${n} -> ${want}`, () => expect(formatBytes(n)).toBe(want));
});

describe('formatDuration', () => {
  const cases: [number | null, string][] = [
    [null, '?'],
    [-1, '?'],
    [0, '0s'],
    [0.2, '1s'],
    [59, '59s'],
    [60, '1m 00s'],
    [185, '3m 05s'],
    [3599, '59m 59s'],
    [3600, '1h 00m'],
    [7380, '2h 03m'],
    [Number.POSITIVE_INFINITY, '?'],
  ];
  for (const [s, want] of cases) it(`${String(s)} -> ${want}`, () => expect(formatDuration(s)).toBe(want));
});

describe('bar', () => {
  const cases: [number, number, string][] = [
    [0, 4, '[░░░░]'],
    [0.5, 4, '[██░░]'],
    [0.99, 4, '[███░]'],
    [1, 4, '[████]'],
    [1.7, 4, '[████]'],
    [-3, 4, '[░░░░]'],
    [Number.NaN, 4, '[░░░░]'],
    [0.33, 10, '[███░░░░░░░]'],
  ];
  for (const [f, w, want] of cases) it(`${f} of ${w}`, () => expect(bar(f, w)).toBe(want));
});

const progress = (p: Partial<FolderProgress>): FolderProgress => ({ files: 0, bytes: 0, totalFiles: 0, totalBytes: 0, rate: 0, etaSeconds: null, ...p });

describe('renderProgress', () => {
  const cases: [string, FolderProgress, string][] = [
    [
      'by bytes, with rate and time left',
      progress({ files: 12, bytes: 1_530_000, totalFiles: 30, totalBytes: 3_400_000, rate: 5_100_000, etaSeconds: 12 }),
      '[████░░░░░░]  45%  12/30 files  1.5 MB/3.4 MB  5.1 MB/s  12s left',
    ],
    ['by files when no bytes move', progress({ files: 1, totalFiles: 4 }), '[██░░░░░░░░]  25%  1/4 files  ? left'],
    ['one file', progress({ files: 1, bytes: 10, totalFiles: 1, totalBytes: 10, etaSeconds: 0 }), '[██████████] 100%  1/1 file  10 B/10 B  0s left'],
    ['nothing planned', progress({}), '[░░░░░░░░░░]   0%  0/0 files  ? left'],
  ];
  for (const [name, p, want] of cases) it(name, () => expect(renderProgress(p, 10)).toBe(want));
});

const status = (s: Partial<FolderStatus>): FolderStatus => ({
  folderId: 'f'.repeat(64),
  spaceId: 's'.repeat(64),
  spaceName: 'Acme',
  name: 'Docs',
  path: '/tmp/docs',
  state: 'idle',
  error: null,
  access: 'write',
  localChanges: 0,
  localFiles: 0,
  localBytes: 0,
  globalFiles: 0,
  globalBytes: 0,
  needFiles: 0,
  needBytes: 0,
  conflicts: 0,
  peers: [],
  problems: [],
  progress: null,
  transfer: null,
  badPeers: [],
  ...s,
});

describe('activityLine', () => {
  const cases: [string, FolderStatus, string][] = [
    ['scanning', status({ state: 'scanning', localFiles: 1234, localBytes: 5_600_000_000 }), 'scanning: 1,234 files (5.6 GB) indexed so far'],
    [
      'syncing with a plan',
      status({ state: 'syncing', progress: progress({ files: 1, bytes: 500, totalFiles: 2, totalBytes: 1000, rate: 100, etaSeconds: 5 }) }),
      'syncing [█████░░░░░]  50%  1/2 files  500 B/1.0 kB  100 B/s  5s left',
    ],
    ['syncing before a plan', status({ state: 'syncing', needFiles: 3, needBytes: 1_200_000, progress: progress({}) }), 'syncing: 3 files (1.2 MB) to fetch'],
    ['error with a message', status({ state: 'error', error: 'disk full' }), 'error: disk full'],
    ['error without one', status({ state: 'error' }), 'error'],
    ['idle', status({}), 'idle'],
    ['paused', status({ state: 'paused' }), 'paused'],
  ];
  for (const [name, s, want] of cases) it(name, () => expect(activityLine(s, 10)).toBe(want));
});

describe('fitLine', () => {
  const cases: [string, number | undefined, string][] = [
    ['short', 80, 'short'],
    ['x'.repeat(79), 80, 'x'.repeat(79)],
    ['x'.repeat(80), 80, 'x'.repeat(78) + '…'],
    ['x'.repeat(100), undefined, 'x'.repeat(78) + '…'],
    ['█'.repeat(20), 12, '█'.repeat(10) + '…'],
    ['abcdefghijklmnop', 3, 'abcdefghijklmnop'.slice(0, 9) + '…'],
  ];
  for (const [line, cols, want] of cases) it(`${line.length} chars in ${String(cols)} columns`, () => expect(fitLine(line, cols)).toBe(want));
});

describe('waitCheck', () => {
  const inSync = (deviceId: string) => ({ deviceId, connected: true, inSync: true });
  const behind = (deviceId: string) => ({ deviceId, connected: true, inSync: false });
  const cases: [string, Partial<FolderStatus>, string[]][] = [
    ['idle, one peer in sync', { peers: [inSync(PEER_A)] }, []],
    ['idle, two peers in sync', { peers: [inSync(PEER_A), inSync(PEER_B)] }, []],
    ['no peer connected', {}, ['no peer connected']],
    ['a disconnected peer does not count', { peers: [{ deviceId: PEER_A, connected: false, inSync: true }] }, ['no peer connected']],
    ['one peer behind', { peers: [inSync(PEER_A), behind(PEER_B)] }, ['peer bbbbbbbbbbbb… not in sync']],
    ['still needs files', { needFiles: 3, needBytes: 1_200_000, peers: [inSync(PEER_A)] }, ['still needs 3 files (1.2 MB)']],
    ['one file', { needFiles: 1, needBytes: 10, peers: [inSync(PEER_A)] }, ['still needs 1 file (10 B)']],
    ['scanning', { state: 'scanning', peers: [inSync(PEER_A)] }, ['folder is scanning']],
    ['paused, alone', { state: 'paused' }, ['folder is paused', 'no peer connected']],
    ['error', { state: 'error', error: 'disk full', peers: [inSync(PEER_A)] }, ['folder is error (disk full)']],
    [
      'everything missing',
      { state: 'syncing', needFiles: 2, needBytes: 2000, peers: [behind(PEER_A)] },
      ['folder is syncing', 'still needs 2 files (2.0 kB)', 'peer aaaaaaaaaaaa… not in sync'],
    ],
  ];
  for (const [name, s, missing] of cases) {
    it(name, () => expect(waitCheck(status(s))).toEqual({ done: missing.length === 0, missing }));
  }
});

describe('waitForSync', () => {
  const ok: StatusForWait = { state: 'idle', error: null, needFiles: 0, needBytes: 0, peers: [{ deviceId: PEER_A, connected: true, inSync: true }] };
  const busy: StatusForWait = { ...ok, state: 'syncing', needFiles: 1, needBytes: 5 };
  const lonely: StatusForWait = { ...ok, peers: [] };

  /** Runs waitForSync on a manual clock over a script of statuses (the last one repeats). */
  async function run(script: StatusForWait[], o: { timeoutMs: number; intervalMs?: number; settleMs?: number }) {
    let now = 0;
    let polls = 0;
    const outcome = await waitForSync({
      poll: async () => script[Math.min(polls++, script.length - 1)]!,
      timeoutMs: o.timeoutMs,
      intervalMs: o.intervalMs ?? 200,
      settleMs: o.settleMs ?? 500,
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    });
    return { done: outcome.done, missing: outcome.done ? [] : outcome.missing, polls, at: now };
  }

  const cases: [string, StatusForWait[], { timeoutMs: number; intervalMs?: number; settleMs?: number }, { done: boolean; missing: string[]; polls: number; at: number }][] = [
    ['in sync at once: holds for the settle time', [ok], { timeoutMs: 60_000 }, { done: true, missing: [], polls: 4, at: 600 }],
    ['no settle time: the first poll decides', [ok], { timeoutMs: 60_000, settleMs: 0 }, { done: true, missing: [], polls: 1, at: 0 }],
    ['busy, then in sync', [busy, busy, ok], { timeoutMs: 60_000 }, { done: true, missing: [], polls: 6, at: 1000 }],
    ['a relapse restarts the settle time', [ok, busy, ok], { timeoutMs: 60_000 }, { done: true, missing: [], polls: 6, at: 1000 }],
    ['never in sync: times out with what is missing', [busy], { timeoutMs: 1000 }, { done: false, missing: ['folder is syncing', 'still needs 1 file (5 B)'], polls: 6, at: 1000 }],
    ['no peer ever: times out', [lonely], { timeoutMs: 500 }, { done: false, missing: ['no peer connected'], polls: 4, at: 500 }],
    ['timeout 0: one look', [busy], { timeoutMs: 0 }, { done: false, missing: ['folder is syncing', 'still needs 1 file (5 B)'], polls: 1, at: 0 }],
    ['timeout 0 and in sync: done without settling', [ok], { timeoutMs: 0 }, { done: true, missing: [], polls: 1, at: 0 }],
    ['the timeout cuts the settle time short', [busy, busy, ok], { timeoutMs: 500 }, { done: true, missing: [], polls: 4, at: 500 }],
  ];
  for (const [name, script, o, want] of cases) it(name, async () => expect(await run(script, o)).toEqual(want));
});

describe('parseTimeout', () => {
  const cases: [string, number][] = [
    ['60', 60],
    ['0', 0],
    ['2.5', 2.5],
    ['90s', 90],
    ['5m', 300],
    ['1h', 3600],
    [' 10 ', 10],
  ];
  for (const [text, want] of cases) it(`"${text}" -> ${want}`, () => expect(parseTimeout(text)).toBe(want));
  for (const bad of ['', 'abc', '-1', '1d', '1.', '.5', '5 minutes']) {
    it(`"${bad}" is a usage error`, () => expect(() => parseTimeout(bad)).toThrow(UsageError));
  }
});

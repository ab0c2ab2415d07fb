import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { housekeeping, stampTime } from '../../src/core/sync/housekeeping.js';
import { versionPath, versionStamp } from '../../src/core/sync/versions.js';
import type { Logger } from '../../src/ports/logger.js';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };
const DAY = 24 * 3600_000;

describe('versions and temp files housekeeping', () => {
  it('stamps round-trip to the millisecond', () => {
    const t = Date.UTC(2026, 10, 22, 10, 11, 12, 345);
    expect(versionStamp(t)).toBe('20261122-101112-345');
    expect(stampTime(versionStamp(t))).toBe(t);
    expect(stampTime('nonsense')).toBeNaN();
  });

  it('removes versions past retention and stale temp files, keeps the rest', async () => {
    const now = Date.UTC(2026, 10, 22);
    const disk = new MemoryFs({ now: () => now - 2 * DAY });
    const fs = await disk.folder('/f', { create: true });
    disk.userWrite('/f', versionPath('a/report.pdf', now - 40 * DAY), 'old');
    disk.userWrite('/f', versionPath('a/report.pdf', now - 2 * DAY), 'recent');
    disk.userWrite('/f', 'a/.agora-tmp-0123456789ab-big.bin', 'stale temp');
    disk.userWrite('/f', 'a/keep.txt', 'user file');
    const done = await housekeeping(fs, { now, retentionMs: 30 * DAY, tempFiles: ['a/.agora-tmp-0123456789ab-big.bin'], inUse: () => false, logger: silent });
    expect(done).toEqual({ versionsRemoved: 1, tempsRemoved: 1 });
    const left = Object.keys(disk.snapshot('/f', { ignore: [] })).filter((p) => !p.endsWith('/') && disk.snapshot('/f', { ignore: [] })[p]!.type === 'file');
    expect(left.sort()).toEqual([versionPath('a/report.pdf', now - 2 * DAY), 'a/keep.txt'].sort());
  });
});

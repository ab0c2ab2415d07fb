/** Records and helpers shared by the parts of the Store port suite. */
import { expect } from 'vitest';
import { AgoraError } from '../../src/errors/index.js';
import type { InviteRecord, PeerRecord, SpaceRecord, Store, StoredLogEntry } from '../../src/ports/store.js';

export interface StoreFixture {
  store: Store;
  /** Closes the store and opens the same data again; only for adapters that persist. */
  reopen?: () => Store;
  cleanup: () => void;
}

export const space = (n: number, over: Partial<SpaceRecord> = {}): SpaceRecord => ({
  spaceId: `space-${n}`,
  name: `Space ${n}`,
  dir: `/home/ana/Agora/Space ${n}`,
  secret: Buffer.alloc(32, n),
  joinedAt: 1_700_000_000_000 + n,
  ...over,
});

export const entry = (n: number, over: Partial<StoredLogEntry> = {}): StoredLogEntry => ({
  id: n.toString(16).padStart(64, '0'),
  spaceId: 'space-1',
  author: 'a'.repeat(64),
  parents: n > 0 ? [(n - 1).toString(16).padStart(64, '0')] : [],
  bytes: Buffer.from(`entry ${n}`),
  sig: Buffer.alloc(64, n),
  receivedAt: 1_700_000_000_000 + n,
  ...over,
});

export const invite = (n: number, over: Partial<InviteRecord> = {}): InviteRecord => ({
  inviteId: `invite-${n}`,
  spaceId: 'space-1',
  role: 'member',
  createdAt: 1_700_000_000_000 + n,
  expiresAt: 1_700_000_000_000 + n + 86_400_000,
  maxUses: 1,
  code: `agora:invite:${n}`,
  revoked: false,
  grants: [],
  ...over,
});

export const peer = (n: number, over: Partial<PeerRecord> = {}): PeerRecord => ({
  deviceId: `device-${n}`,
  name: `PC ${n}`,
  addresses: [`192.168.1.${n}:4977`],
  lastSeen: 1_700_000_000_000 + n,
  ...over,
});

export function expectStoreError(fn: () => unknown): AgoraError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AgoraError);
    expect((err as AgoraError).code).toBe('STORE');
    return err as AgoraError;
  }
  throw new Error('expected a STORE error, nothing was thrown');
}

/** Byte patterns that break naive encodings: empty, every byte value, NULs, a view into a larger buffer. */
export const awkwardBuffers: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ['all zeros', Buffer.alloc(100)],
  ['trailing zeros', Buffer.concat([Buffer.from('abc'), Buffer.alloc(7)])],
  ['view at an offset', Buffer.from(Array.from({ length: 200 }, (_, i) => 255 - (i % 256))).subarray(37, 101)],
  ['1 MiB', Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => (i * 7919) % 256))],
];

/**
 * Persistent state of a node. Synchronous on purpose: SQLite (better-sqlite3) answers in
 * microseconds and the core stays simple. One repository per table group.
 */

export type Role = 'admin' | 'member' | 'guest' | 'keeper';

export interface SpaceRecord {
  spaceId: string;
  name: string;
  /** Local directory where the space's folders live on this device. */
  dir: string;
  /** 32-byte secret shared by members only; the discovery topic is derived from it. */
  secret: Buffer;
  /** When this device created or joined the space (ms since epoch). */
  joinedAt: number;
}

/** A space-log entry exactly as signed: `bytes` is the canonical encoding, `sig` its Ed25519 signature. */
export interface StoredLogEntry {
  /** hex SHA-256 of `bytes`. */
  id: string;
  spaceId: string;
  author: string;
  /** ids of the entries this one follows (hex). */
  parents: string[];
  bytes: Buffer;
  sig: Buffer;
  /** Order of arrival on this device; used only to return entries in a stable order. */
  receivedAt: number;
}

export interface InviteRecord {
  inviteId: string;
  spaceId: string;
  role: Role;
  createdAt: number;
  expiresAt: number;
  maxUses: number;
  /** The full invite code as handed out (lets the inviter show it again). */
  code: string;
  revoked: boolean;
}

export interface PeerRecord {
  deviceId: string;
  name: string;
  /** Last direct addresses the peer told us ("host:port"), newest first. */
  addresses: string[];
  lastSeen: number;
}

/** Records go in and come out by value: changing one after put or get does not change the store. */
export interface SpaceRepo {
  /** Inserts or replaces. */
  put(space: SpaceRecord): void;
  get(spaceId: string): SpaceRecord | undefined;
  /** Ordered by joinedAt, then spaceId. */
  list(): SpaceRecord[];
  /** Forgets the space together with its log entries and invites; an unknown id is a no-op. */
  delete(spaceId: string): void;
}

export interface LogRepo {
  /** Stores an entry; storing an id that is already there is a no-op (returns false). */
  append(entry: StoredLogEntry): boolean;
  has(id: string): boolean;
  get(id: string): StoredLogEntry | undefined;
  /** All entries of a space in arrival order. */
  list(spaceId: string): StoredLogEntry[];
  count(spaceId: string): number;
}

export interface InviteRepo {
  /** Inserts or replaces (revoking is a put with `revoked: true`). */
  put(invite: InviteRecord): void;
  get(inviteId: string): InviteRecord | undefined;
  /** Ordered by createdAt, then inviteId. */
  list(spaceId: string): InviteRecord[];
}

export interface PeerRepo {
  upsert(peer: PeerRecord): void;
  get(deviceId: string): PeerRecord | undefined;
  /** Most recently seen first, then by deviceId. */
  list(): PeerRecord[];
}

/** Small key/value settings. Values go through JSON, so a Date comes back as a string. */
export interface SettingsRepo {
  get<T>(key: string): T | undefined;
  /** Setting `undefined` removes the key. */
  set(key: string, value: unknown): void;
}

export interface Store {
  readonly spaces: SpaceRepo;
  readonly log: LogRepo;
  readonly invites: InviteRepo;
  readonly peers: PeerRepo;
  readonly settings: SettingsRepo;
  /**
   * Runs fn atomically: all its writes land or none; a throw rolls back and is rethrown. fn must be
   * synchronous (an async fn is refused). Nested calls act as savepoints.
   */
  transaction<T>(fn: () => T): T;
  /** After close, every operation throws AgoraError('STORE'); closing twice is harmless. */
  close(): void;
}

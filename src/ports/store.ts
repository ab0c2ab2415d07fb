import type { Access, FileRecord, FileType, LocalFileRecord, LogStub, NameDisclosure } from '../protocol/index.js';

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
  /** Folder access the new member gets when the invite is used (written to the log by the inviter). */
  grants: { folderId: string; access: Access }[];
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
  /** Forgets the space together with its log entries, invites and chat; an unknown id is a no-op. */
  delete(spaceId: string): void;
}

export interface LogRepo {
  /**
   * Stores an entry; storing an id that is already there is a no-op (returns false). An entry
   * replaces the stub of the same id (a guest that may now see it).
   */
  append(entry: StoredLogEntry): boolean;
  /** Whether the full entry is stored (not only its stub). */
  has(id: string): boolean;
  get(id: string): StoredLogEntry | undefined;
  /** All entries of a space in arrival order (never stubs). */
  list(spaceId: string): StoredLogEntry[];
  count(spaceId: string): number;
  /** Keeps a stub (a guest's stand-in for an entry it may not see); no-op if the id is stored. */
  putStub(spaceId: string, stub: LogStub): void;
  /** Every stub of a space, in arrival order. */
  stubs(spaceId: string): LogStub[];
  /** Keeps a name that opens a commitment of the space's log (checked by the caller). Idempotent. */
  putName(spaceId: string, name: NameDisclosure): void;
  /** Every name known for the space, in no particular order. */
  names(spaceId: string): NameDisclosure[];
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

/** How this device syncs one folder of a space (the folder itself is defined by the space log). */
export type FolderSyncState = 'syncing' | 'paused' | 'stopped';

export interface FolderRecord {
  folderId: string;
  spaceId: string;
  name: string;
  /** Absolute local path. */
  path: string;
  /** 'stopped': this device chose not to sync the folder (files stay on disk). */
  state: FolderSyncState;
  /** Random 16-byte hex identity of this device's index of the folder; a new one tells peers to resend everything. */
  indexId: string;
  createdAt: number;
}

export interface FolderRepo {
  /** Inserts or replaces. */
  put(folder: FolderRecord): void;
  get(folderId: string): FolderRecord | undefined;
  /** Ordered by createdAt, then folderId; only one space's folders when spaceId is given. */
  list(spaceId?: string): FolderRecord[];
  /** Forgets the folder, every index record of it (all devices) and its file history; unknown id is a no-op. */
  delete(folderId: string): void;
}

/** Where a block of this device's own files can be read. */
export interface BlockLocation {
  path: string;
  offset: number;
  size: number;
}

/** What this device has received of a peer's index of one folder. */
export interface RemoteIndexState {
  /** The peer's index id; a different one means its index was reset and must be fetched anew. */
  indexId: string;
  /** Highest sequence received (0 = nothing yet). */
  maxSequence: number;
}

export interface IndexCounts {
  files: number;
  dirs: number;
  deleted: number;
  /** Sum of sizes of files that are not deleted. */
  bytes: number;
}

/**
 * The sync index: per folder, per device, the latest record of every path. This device's own
 * records carry `local` (what stat() said); a peer's records are stored as received.
 */
/** A page of a listing ordered by path: up to `limit` entries whose path sorts after `after` ('' = from the start). */
export interface PathPage {
  after: string;
  limit: number;
}

export interface IndexRepo {
  /**
   * Stores this device's own records (upsert by path) and, for each, its blocks in the block
   * finder. The caller assigns sequences (see nextSequence).
   */
  putLocal(folderId: string, records: readonly LocalFileRecord[]): void;
  getLocal(folderId: string, path: string): LocalFileRecord | undefined;
  /**
   * Own records of the folder, ordered by path (compareText); with `page`, at most `limit` of
   * those after `after`. A folder of 100k files is read page by page, never held twice.
   */
  listLocal(folderId: string, page?: PathPage): LocalFileRecord[];
  /** Own records with sequence > after, by sequence, at most `limit`. */
  localSince(folderId: string, after: number, limit: number): FileRecord[];
  /** Highest sequence used in this device's index of the folder (0 if none). */
  localSequence(folderId: string): number;

  /** Stores records received from `deviceId` (upsert by path) and raises its maxSequence. */
  putRemote(folderId: string, deviceId: string, indexId: string, records: readonly FileRecord[]): void;
  getRemote(folderId: string, deviceId: string, path: string): FileRecord | undefined;
  /** The signatures of `deviceId`'s records of these paths (paths it has no record of are absent). */
  remoteSigs(folderId: string, deviceId: string, paths: readonly string[]): Map<string, Buffer>;
  /** `deviceId`'s records of the folder, ordered by path, paged like listLocal. */
  listRemote(folderId: string, deviceId: string, page?: PathPage): FileRecord[];
  remoteState(folderId: string, deviceId: string): RemoteIndexState | undefined;
  /** Devices whose index of the folder we hold, ordered by id. */
  remoteDevices(folderId: string): string[];
  /** Forgets one peer's index of the folder (it was reset, or the peer left). */
  dropRemote(folderId: string, deviceId: string): void;

  /** Every device's record of one path (own record under `selfId`), ordered by device id. */
  recordsForPath(folderId: string, path: string, selfId: string): { deviceId: string; record: FileRecord }[];
  /** Where a block with this hash sits in this device's own files of the folder, if anywhere. */
  findBlock(folderId: string, hash: Buffer): BlockLocation | undefined;
  /** Several hashes at once (missing ones absent from the map); hex hash keys. */
  findBlocks(folderId: string, hashes: readonly Buffer[]): Map<string, BlockLocation>;
  localCounts(folderId: string): IndexCounts;
}

/** One version of one path, as this device saw it enter the folder (see FileHistoryRepo). */
export interface FileHistoryItem {
  path: string;
  type: FileType;
  deleted: boolean;
  size: number;
  /** The file's modification time (the author's clock, ms). */
  mtimeMs: number;
  /** The device that made this version. */
  modifiedBy: string;
  /**
   * The version vector as text, `device:value` pairs (full ids, in vector order) joined by
   * commas. With the folder and the path, the identity of the row.
   */
  version: string;
  /** The signature by modifiedBy was checked, and held, when the row was written. */
  signed: boolean;
  /** This device's clock when it recorded the version (ms). */
  recordedAt: number;
}

export interface FileHistoryRow extends FileHistoryItem {
  /** Order of recording on this device, increasing across all folders; never reused, even after prune. */
  seq: number;
}

/**
 * Per folder, every version of every path this device took into its picture of the folder
 * (its own changes and the writers' it received), for the audit. Rows are never updated;
 * they go only by prune (the oldest first) or with their folder (FolderRepo.delete).
 */
export interface FileHistoryRepo {
  /**
   * Adds rows in the given order. A row whose (folder, path, version) is already there, or
   * appears earlier in the same call, is skipped: the first sighting is kept. Returns how many were added.
   */
  append(folderId: string, items: readonly FileHistoryItem[]): number;
  /** Whether this version of the path is recorded. */
  has(folderId: string, path: string, version: string): boolean;
  /** Newest first (highest seq), at most `limit`; with `before`, only rows whose seq is below it (paging). */
  list(folderId: string, options: { limit: number; before?: number }): FileHistoryRow[];
  count(folderId: string): number;
  /** Keeps the newest `keep` rows of the folder and deletes the rest; returns how many went. */
  prune(folderId: string, keep: number): number;
}

/** A chat message as signed, with what the store needs to find and order it. */
export interface StoredChatMessage {
  /** hex SHA-256 of `bytes`. */
  id: string;
  spaceId: string;
  channelId: string;
  author: string;
  lamport: number;
  /** Author's clock (ms). */
  time: number;
  kind: 'post' | 'edit' | 'delete';
  /** The message an edit or delete is about; null for a post. */
  target: string | null;
  /** Attachment ids (hex) a post carries, in order; empty otherwise. */
  attachments: string[];
  bytes: Buffer;
  sig: Buffer;
  /** The device it came from (this device's own id for what it wrote). */
  via: string;
  /** Arrival order in this device's store of the space, from 1; assigned by `add`. */
  seq: number;
}

/** What this device holds of one peer's chat store of a space (see ChatRepo.peerState). */
export interface ChatPeerState {
  /** The peer's chat log id; another one means the peer's store was reset. */
  logId: string;
  /** Highest of the peer's sequence numbers that it has sent us everything up to. */
  seq: number;
}

/** An attachment as this device knows it: its block list once fetched, and whether its bytes are here. */
export interface AttachmentRecord {
  /** hex SHA-256 of `manifest`. */
  attachmentId: string;
  spaceId: string;
  name: string;
  size: number;
  /** The block list (32-byte hash + 4-byte size per block), or null until fetched. */
  manifest: Buffer | null;
  /** True once the whole file is on this device's disk, verified. */
  complete: boolean;
}

/**
 * Chat messages per space. Messages are immutable once stored (edits and deletes are
 * messages of their own), so the repository only adds, never updates a message.
 */
export interface ChatRepo {
  /**
   * Stores a message and gives it the next sequence number of its space; returns that
   * number, or null when a message with this id is already stored (nothing changes then).
   */
  add(message: Omit<StoredChatMessage, 'seq'>): number | null;
  get(id: string): StoredChatMessage | undefined;
  has(id: string): boolean;
  /** Messages of the space with seq > after, by seq, at most `limit`. */
  since(spaceId: string, after: number, limit: number): StoredChatMessage[];
  /** Every message of one channel (posts, edits, deletes), ordered by lamport, then time, then id. */
  channel(spaceId: string, channelId: string): StoredChatMessage[];
  /** Ids of every channel of the space with at least one message, in no particular order. */
  channelIds(spaceId: string): string[];
  /** Highest lamport clock among the channel's messages (0 if none). */
  maxLamport(spaceId: string, channelId: string): number;
  /** Highest seq of the space (0 if none). */
  sequence(spaceId: string): number;
  /** Posts of the channel with seq > after whose author is not `exclude`. */
  countPostsSince(spaceId: string, channelId: string, after: number, exclude: string): number;
  /** Channels (ids) whose messages carry this attachment, so it is served only to their readers. */
  attachmentChannels(spaceId: string, attachmentId: string): string[];

  /** This device's chat log id for the space: `fresh` is stored and returned the first time. */
  logId(spaceId: string, fresh: string): string;
  peerState(spaceId: string, peer: string): ChatPeerState | undefined;
  setPeerState(spaceId: string, peer: string, state: ChatPeerState): void;
  /** The seq up to which this device's user has read a channel (0 if never). */
  readMark(spaceId: string, channelId: string): number;
  setReadMark(spaceId: string, channelId: string, seq: number): void;

  putAttachment(record: AttachmentRecord): void;
  getAttachment(spaceId: string, attachmentId: string): AttachmentRecord | undefined;
}

export interface Store {
  readonly spaces: SpaceRepo;
  readonly log: LogRepo;
  readonly invites: InviteRepo;
  readonly peers: PeerRepo;
  readonly settings: SettingsRepo;
  readonly folders: FolderRepo;
  readonly index: IndexRepo;
  readonly chat: ChatRepo;
  readonly fileHistory: FileHistoryRepo;
  /**
   * Runs fn atomically: all its writes land or none; a throw rolls back and is rethrown. fn must be
   * synchronous (an async fn is refused). Nested calls act as savepoints.
   */
  transaction<T>(fn: () => T): T;
  /** After close, every operation throws AgoraError('STORE'); closing twice is harmless. */
  close(): void;
}

/**
 * The local HTTP API's contract, shared by the server and its typed client: paths,
 * request bodies and responses. Everything lives under /api/v1.
 */
export const API_PREFIX = '/api/v1';

export * from './chat.js';

export type Role = 'admin' | 'member' | 'guest' | 'keeper';
/** What a member may do with a folder: nothing, receive only, or receive and send changes. */
export type Access = 'none' | 'read' | 'write';
/** What a grant sets: an access, or for one member `default` (its own grant goes; the role's default applies). */
export type GrantAccess = Access | 'default';
export type DhtStatus = 'online' | 'offline' | 'disabled';

export interface StatusResponse {
  deviceId: string;
  name: string;
  version: string;
  api: string;
  listen: string[];
  dht: DhtStatus;
  spaces: number;
}

export interface Space {
  spaceId: string;
  name: string;
  role: Role | null;
  dir: string;
  members: number;
}

export interface CreateSpaceRequest {
  name: string;
  dir?: string;
}

export interface InviteRequest {
  role?: 'admin' | 'member' | 'guest' | 'keeper';
  /** Lifetime in seconds. */
  expiresIn?: number;
  uses?: number;
  /**
   * Folder access the new member gets on joining (written to the log by the inviter).
   * `folder` is a folder id, id prefix, name or "Space/Folder" of the invite's space.
   */
  grants?: { folder: string; access: Access }[];
}

export interface InviteGrant {
  folderId: string;
  /** Null when this device does not know the folder's name. */
  name: string | null;
  access: Access;
}

export interface InviteResponse {
  spaceId: string;
  inviteId: string;
  code: string;
  link: string;
  role: Role;
  /** ISO 8601. */
  expiresAt: string;
  uses: number;
  grants: InviteGrant[];
}

export interface JoinRequest {
  code: string;
  dir?: string;
}

export interface Member {
  memberId: string;
  name: string;
  role: Role;
  online: boolean;
  self: boolean;
  /** Chat presence (GET /spaces/{space}/members): online, away (the member said so), or offline (not connected). */
  presence?: Presence;
}

/** POST /spaces/{space}/members/{member}/role. */
export interface SetRoleRequest {
  role: 'admin' | 'member' | 'guest';
}

/** DELETE /spaces/{space}/members/{member}: the member as it was, now removed. */
export interface RemovedMember extends Member {
  spaceId: string;
  removed: true;
}

export interface Peer {
  deviceId: string;
  name: string;
  connected: boolean;
  direct: boolean;
  transport: 'tcp' | 'udx' | 'relay' | 'memory' | null;
  address: string | null;
  rttMs: number | null;
}

/** `agora doctor`: what this node sees of its network, and what to do about it. */
export interface DoctorReport {
  deviceId: string;
  /** Addresses of the TCP fast path. */
  listen: string[];
  dht: DhtStatus;
  /** DHT nodes in the routing table; 0 means no DHT node answers. */
  dhtNodes: number;
  dhtReachable: boolean;
  /** 'open' | 'cone' (hole punching works) | 'symmetric' (needs a relay when the other side is symmetric too) | 'unknown'. */
  nat: 'open' | 'cone' | 'symmetric' | 'unknown';
  /** This node's address as DHT nodes see it, or null. */
  publicAddress: string | null;
  keepers: { deviceId: string; name: string; address: string; reachable: boolean; connected: boolean; rttMs: number | null }[];
  /** null when no space has a keeper. */
  keeperReachable: boolean | null;
  mdns: boolean;
  /** This node runs as a keeper (DHT node + relay for its spaces). */
  keeper: { dht: string[]; tcp: string[]; relay: string } | null;
  peers: { connected: number; direct: number; relayed: number };
  advice: string[];
}

/** What this device does with a folder: the live sync state, or the choice not to sync it. */
export type FolderState = 'idle' | 'scanning' | 'syncing' | 'error' | 'paused' | 'stopped';

/** A shared folder of a space, as this device has it. */
export interface Folder {
  folderId: string;
  spaceId: string;
  spaceName: string;
  name: string;
  /** Absolute path on this device. */
  path: string;
  /** idle/scanning/syncing/error while it runs; 'paused' or 'stopped' (removed) when it does not. */
  state: FolderState;
}

/** A folder's default access per role (admins always write). */
export interface FolderAccess {
  members: Access;
  guests: Access;
}

export interface AddFolderRequest {
  /** Absolute path of the directory to share; created if missing. */
  path: string;
  /** Folder name in the space; defaults to the directory's name. */
  name?: string;
  /** Default access per role; unset keys keep the default (members write, guests none). */
  access?: Partial<FolderAccess>;
}

/** POST /folders/{folder}/grants: access for a role ('members', 'guests') or one member. */
export interface GrantRequest {
  /** 'members', 'guests' (or 'member', 'guest'), or a member id, id prefix or unique name. */
  to: string;
  access: GrantAccess;
}

export interface GrantResponse {
  spaceId: string;
  folderId: string;
  folderName: string | null;
  /** 'members', 'guests' or a member id. */
  to: string;
  /** The member's name when `to` is one member, else null. */
  toName: string | null;
  access: GrantAccess;
}

/** GET /folders/{folder}/access: one member's effective access. */
export interface MemberAccess {
  memberId: string;
  name: string;
  role: Role;
  access: Access;
}

/** POST /folders/{folder}/revert. */
export interface RevertResponse {
  folderId: string;
  /** How many paths get the shared version back. */
  reverted: number;
}

export type LogEntryType =
  | 'space.create'
  | 'space.rename'
  | 'member.add'
  | 'member.role'
  | 'member.remove'
  | 'member.leave'
  | 'member.rename'
  | 'folder.add'
  | 'folder.remove'
  | 'folder.grant'
  | 'channel.add'
  | 'channel.member'
  | 'keeper.endpoint';

/**
 * One entry of the space log. Entries are signed by their authors and hash-linked; `applied`
 * says whether the entry took effect when the log was replayed (`reason` if not). Names are
 * null when this device does not know them.
 */
export interface AuditEntry {
  type: LogEntryType;
  entryId: string;
  /** The author's clock, ms since epoch. */
  at: number;
  author: string;
  authorName: string | null;
  applied: boolean;
  reason?: string;
  member?: string;
  memberName?: string | null;
  role?: Role;
  folderId?: string;
  folderName?: string | null;
  /** folder.add: the default per role; folder.grant: the access granted (`default`: back to the role's). */
  access?: FolderAccess | GrantAccess;
  /** folder.grant: 'members', 'guests' or a member id. */
  to?: string;
  spaceName?: string;
  channelId?: string;
  channelName?: string | null;
  /** channel.member: added (true) or taken out. */
  in?: boolean;  /** keeper.endpoint: where the keeper says it can be reached (TCP, then DHT). */
  addresses?: string[];
}

/**
 * One change of one path (a version this device took into the folder: its own change, or a
 * writer's it received), from this device's file history.
 */
export interface AuditFileChange {
  type: 'file.change';
  folderId: string;
  folderName: string | null;
  path: string;
  /** Null when the device that made it is one this device may not list. */
  by: string | null;
  byName: string | null;
  /** The file's modification time, ms since epoch (the author's clock). */
  at: number;
  deleted: boolean;
  /** Bytes of this version (0 for a deletion). */
  size: number;
  /** The record carried a valid signature by the device that made the change, checked when it was recorded. */
  signed: boolean;
  /** When this device recorded the change, ms since epoch (its own clock). */
  recordedAt: number;
}

/**
 * GET /spaces/{space}/audit: log entries in replay order, then the newest file changes
 * (default 1000) in the order this device recorded them, oldest first.
 */
export type AuditItem = AuditEntry | AuditFileChange;

/** Query of GET /spaces/{space}/audit. */
export interface AuditQuery {
  /** Only this folder's file changes (id, id prefix or name); the log entries stay all. */
  folder?: string;
  /** At most this many file changes, the newest (default 1000, at most 100000; 0: none). */
  limit?: number;
}

export interface FolderProgress {
  files: number;
  bytes: number;
  totalFiles: number;
  totalBytes: number;
  /** Bytes per second over the last few seconds. */
  rate: number;
  /** Seconds left at that rate; null when unknown. */
  etaSeconds: number | null;
}

export interface FolderPeer {
  deviceId: string;
  connected: boolean;
  /** The peer sent its whole index and nothing differs between it and us. */
  inSync: boolean;
}

export interface FolderProblem {
  path: string;
  message: string;
}

/** GET /folders/{folder}: everything `agora folder status` shows. */
export interface FolderStatus extends Folder {
  error: string | null;
  /** This device's access to the folder; 'read' means its local changes are not sent. */
  access: Access;
  /** Read-only folders: paths changed here and not sent (put back with revert). */
  localChanges: number;
  localFiles: number;
  localBytes: number;
  globalFiles: number;
  globalBytes: number;
  /** What this device still has to fetch or apply. */
  needFiles: number;
  needBytes: number;
  conflicts: number;
  /** Connected peers that share this folder. */
  peers: FolderPeer[];
  problems: FolderProblem[];
  /** The batch under way (all zeros between batches); null when the folder is not running. */
  progress: FolderProgress | null;
  /** Since the node started: bytes fetched from peers, and bytes re-used locally (other files, interrupted transfers). */
  transfer: { fetchedBytes: number; reusedBytes: number } | null;
  /** Peers that sent blocks with a wrong hash (they are then avoided). */
  badPeers: { deviceId: string; blocks: number }[];
}

/** A conflict copy: the losing version of `original`, kept next to it. */
export interface ConflictCopy {
  folderId: string;
  spaceId: string;
  /** Folder name. */
  folder: string;
  /** Folder-relative path of the copy. */
  path: string;
  /** Folder-relative path of the file it conflicted with. */
  original: string;
  /** Short id of the device that made the losing version. */
  device: string;
  /** When the losing version was last modified; ISO 8601. */
  time: string;
}

/** A replaced or deleted version of a file, kept under .agora/versions. */
export interface FileVersion {
  /** `YYYYMMDD-HHMMSS-mmm` (UTC): when it was replaced or deleted here. */
  versionId: string;
  size: number;
  /** ISO 8601. */
  mtime: string;
}

export interface RestoreRequest {
  /** Folder-relative path. */
  path: string;
  versionId: string;
}

export interface RestoreResponse {
  folderId: string;
  path: string;
  versionId: string;
}

/** One entry of a folder directory, as GET /folders/{folder}/files lists it. */
export interface DirEntry {
  name: string;
  /** Folder-relative, '/'-separated. */
  path: string;
  type: 'file' | 'dir';
  /** Bytes; 0 for a directory. */
  size: number;
  /** ISO 8601. */
  mtime: string;
}

/** GET /folders/{folder}/files?path=DIR: what is in one directory of the folder on this device. */
export interface DirListing {
  folderId: string;
  /** The directory listed, folder-relative ('' is the top). */
  path: string;
  entries: DirEntry[];
}

/** PUT /folders/{folder}/file?path=: the file written (raw body, streamed to disk). */
export interface UploadResponse {
  folderId: string;
  path: string;
  size: number;
}

/** POST /folders/{folder}/conflicts/resolve. `path` is the conflict copy. */
export interface ResolveConflictRequest {
  path: string;
  /** 'original': delete the copy; 'copy': the copy replaces the original; 'both': the copy gets a plain name. */
  keep: 'original' | 'copy' | 'both';
}

export interface ResolveConflictResponse {
  folderId: string;
  /** The paths that remain. */
  paths: string[];
}

/** GET /session (public): whether the request is signed in (session cookie or bearer token). */
export interface SessionState {
  signedIn: boolean;
}

/** POST /session/login-link (bearer token only): a one-time link that signs a browser in. */
export interface LoginLinkResponse {
  url: string;
  /** ISO 8601. */
  expiresAt: string;
}

/**
 * The node's settings as saved (GET/PATCH /settings). `agora start` uses them when no flag is
 * given; flags win for the run they are given to.
 */
export interface NodeSettings {
  /** TCP address for direct connections, HOST:PORT (port 0 = any free port). */
  listen: string;
  /** Local API and web app address: 127.0.0.1:PORT, localhost:PORT or [::1]:PORT. */
  api: string;
  /** HyperDHT bootstrap nodes (HOST:PORT); empty = the public ones. */
  bootstrap: string[];
  dht: boolean;
  mdns: boolean;
  /** Days replaced and deleted files stay in a folder's .agora/versions. */
  versionRetentionDays: number;
  /** Minutes between full rescans of each folder. */
  rescanIntervalMinutes: number;
  /** Largest file the web app may upload, in MB; 0 = no limit. Applies at once. */
  maxUploadMb: number;
}

export type SettingKey = keyof NodeSettings;

export interface SettingsResponse {
  /** Display name; it applies at once. */
  name: string;
  /** The user chose the name (first run done); false while it is the host-name default. */
  nameChosen: boolean;
  /** What is saved: what the next start uses where no flag is given. */
  settings: NodeSettings;
  /** What this run uses (flags and AGORA_VERSIONS_DAYS included). */
  running: Omit<NodeSettings, 'maxUploadMb'>;
  /** Settings that only a restart of the node changes. */
  restartOnly: SettingKey[];
  /** Settings a start flag (or AGORA_VERSIONS_DAYS) decided for this run. */
  overridden: SettingKey[];
  /** Restart-only settings, not decided by a start flag, whose saved value differs from what runs now. */
  pendingRestart: SettingKey[];
  /** pendingRestart is not empty: restart the node (agora stop, agora start) to apply them. */
  restartRequired: boolean;
}

/** PATCH /settings: only the keys given change. */
export type SettingsPatch = Partial<NodeSettings> & { name?: string };

export type ActivityType =
  | 'member.online'
  | 'member.offline'
  | 'member.joined'
  | 'member.removed'
  | 'member.role'
  | 'space.added'
  | 'folder.added'
  | 'folder.pulled'
  | 'folder.conflict'
  | 'folder.problem'
  | 'sync.badBlock';

/**
 * GET /activity (newest first) and the `activity` event: what happened lately, kept by the node
 * (the last 500 items, in memory). An item may be sent again with the same id when it grows
 * (files pulled in one burst are one item with a `count`).
 */
export interface ActivityItem {
  id: number;
  type: ActivityType;
  /** ISO 8601. */
  at: string;
  spaceId?: string;
  spaceName?: string;
  folderId?: string;
  folderName?: string;
  deviceId?: string;
  name?: string;
  path?: string;
  deleted?: boolean;
  count?: number;
  role?: Role;
  message?: string;
}

/** A member's chat presence as others see it. */
export type Presence = 'online' | 'away' | 'offline';

export interface ErrorBody {
  error: { code: string; message: string };
}

/**
 * Every `type` the event WebSocket sends. Folder events carry `folderId`: `folder.added` and
 * `folder.removed` {folderId, spaceId}; `folder.state` {folderId, state, error}; `folder.progress`
 * {folderId, files, bytes, totalFiles, totalBytes} (a few times a second at most);
 * `folder.conflict` {folderId, path, copy}; `folder.pulled` {folderId, path, deleted};
 * `sync.badBlock` {folderId, deviceId, path}; `activity` an ActivityItem (new, or grown with the same id).
 * Chat: `chat.message` {spaceId, channelId, messageId, kind ('post'|'edit'|'delete'), author} when a
 * message is stored here (messageId is the post it shows as); `chat.presence` {deviceId, state};
 * `chat.attachment` {spaceId, attachmentId} once an attachment's bytes are here.
 */
export type EventType =
  | 'hello'
  | 'space.changed'
  | 'member.online'
  | 'member.offline'
  | 'peer.connected'
  | 'peer.disconnected'
  | 'dht.status'
  | 'folder.added'
  | 'folder.removed'
  | 'folder.state'
  | 'folder.progress'
  | 'folder.conflict'
  | 'folder.pulled'
  | 'sync.badBlock'
  | 'chat.message'
  | 'chat.presence'
  | 'chat.attachment'
  | 'activity';

/** One message on the event WebSocket. */
export interface EventMessage {
  type: EventType;
  data: unknown;
  at: string;
}

/** What a running node writes into its home so that clients find it. */
export interface ApiInfoFile {
  url: string;
  pid: number;
  startedAt: string;
}

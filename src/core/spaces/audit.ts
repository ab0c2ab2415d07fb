import type { DecodedEntry, FileType, FolderAccess, GrantAccess, GrantTarget, LogBodyType, Role } from '../../protocol/index.js';
import type { ReplayResult } from './replay.js';
import type { SpaceState } from './space-state.js';

/**
 * The audit view of a space: its log entries, each with whether it took effect, and the file
 * history of the folders this device holds (every version of every path it took in, see
 * FileHistoryRepo). Pure: the node hands in the replay result, the names it knows and a reader
 * of each folder's history.
 *
 * What a viewer sees is filtered here, the same for every caller: admins and members (the
 * firm) see every entry; anyone else (guests, keepers, former members) sees only entries about
 * itself, the firm's people and the folders it may read now, so no id of another guest and no
 * id of a folder hidden from it ever appears.
 */

/** One log entry. `at` is the author's clock (ms): informative, never used for ordering. */
export interface AuditEntryItem {
  type: LogBodyType;
  entryId: string;
  at: number;
  author: string;
  authorName: string | null;
  /** Whether the entry took effect when the log was replayed; `reason` says why not. */
  applied: boolean;
  reason?: string;
  /** The member an entry is about (added, role changed, removed, left, renamed, granted to). */
  member?: string;
  memberName?: string | null;
  role?: Role;
  folderId?: string;
  folderName?: string | null;
  /** folder.add: the default per role; folder.grant: the access granted (`default`: back to the role's). */
  access?: FolderAccess | GrantAccess;
  /** folder.grant: 'members', 'guests' or a member id. */
  to?: GrantTarget;
  /** space.create and space.rename. */
  spaceName?: string;
  /** channel.add and channel.member. */
  channelId?: string;
  channelName?: string | null;
  /** channel.member: whether the member was added (true) or taken out. */
  in?: boolean;  /** keeper.endpoint: where the keeper says it can be reached (TCP, then DHT). */
  addresses?: string[];
}

/** One recorded change of one path, as this device's file history holds it. */
export interface AuditFileItem {
  type: 'file.change';
  folderId: string;
  folderName: string | null;
  path: string;
  /** The device that made the change; null when the viewer may not know who it is. */
  by: string | null;
  byName: string | null;
  /** The file's modification time (ms). */
  at: number;
  deleted: boolean;
  /** Bytes of the version (0 for a deletion). */
  size: number;
  /** The record carried a valid signature by the device that made the change (checked when recorded). */
  signed: boolean;
  /** When this device recorded the change (its own clock, ms). */
  recordedAt: number;
}

export type AuditItem = AuditEntryItem | AuditFileItem;

export interface AuditNames {
  member(memberId: string): string | null;
  folder(folderId: string): string | null;
  channel(channelId: string): string | null;
}

/** What of a file history row the audit uses. */
export interface AuditFileRecord {
  path: string;
  type: FileType;
  modifiedBy: string;
  mtimeMs: number;
  deleted: boolean;
  size: number;
  /** Whether its signature by `modifiedBy` checked out when it was recorded (see recordSigningBytes). */
  signed: boolean;
  recordedAt: number;
  /** Order of recording on this device, across folders. */
  seq: number;
}

export interface AuditInput {
  result: Pick<ReplayResult, 'order' | 'applied' | 'rejected' | 'state'>;
  /** The device asking; decides what is filtered out. */
  viewer: string;
  names: AuditNames;
  /**
   * The folders whose file changes to show, each with a reader of its history: at most
   * `limit` rows, newest first. Only the folders the viewer may see are read.
   */
  files: { folderId: string; history(limit: number): readonly AuditFileRecord[] }[];
  /** At most this many file changes, the newest (default: no limit). */
  fileLimit?: number;
}

/**
 * Log entries in replay order (the order every node applies them in), then file changes in
 * the order this device recorded them, oldest first, so the list reads as one history.
 */
export function buildAudit(input: AuditInput): AuditItem[] {
  const { result, viewer, names } = input;
  const sees = visibility(result.state, viewer);
  const items: AuditItem[] = [];
  for (const entry of result.order) {
    const item = entryItem(entry, result, names);
    const visible =
      sees.member(item.author) &&
      (item.member === undefined || sees.member(item.member)) &&
      (item.folderId === undefined || sees.folder(item.folderId)) &&
      (item.channelId === undefined || sees.channel(item.channelId));
    if (visible) {
      items.push(item);
    }
  }
  const limit = Math.max(0, input.fileLimit ?? Infinity);
  const files: { seq: number; item: AuditFileItem }[] = [];
  for (const { folderId, history } of input.files) {
    if (!sees.folder(folderId) || limit === 0) continue;
    const folderName = names.folder(folderId);
    for (const r of history(limit)) {
      if (r.type === 'dir') continue;
      const known = sees.member(r.modifiedBy);
      files.push({
        seq: r.seq,
        item: {
          type: 'file.change',
          folderId,
          folderName,
          path: r.path,
          by: known ? r.modifiedBy : null,
          byName: known ? names.member(r.modifiedBy) : null,
          at: r.mtimeMs,
          deleted: r.deleted,
          size: r.size,
          signed: r.signed,
          recordedAt: r.recordedAt,
        },
      });
    }
  }
  // The newest `limit` of all folders together, then oldest first.
  files.sort((a, b) => b.seq - a.seq);
  const newest = files.slice(0, limit === Infinity ? undefined : limit).reverse();
  return [...items, ...newest.map((f) => f.item)];
}

function entryItem(entry: DecodedEntry, result: AuditInput['result'], names: AuditNames): AuditEntryItem {
  const { author, body, time } = entry.content;
  const reason = result.rejected.get(entry.id);
  const item: AuditEntryItem = {
    type: body.type,
    entryId: entry.id,
    at: time,
    author,
    authorName: names.member(author),
    applied: result.applied.has(entry.id),
    ...(reason === undefined ? {} : { reason }),
  };
  const member = (id: string) => ({ member: id, memberName: names.member(id) });
  const folder = (id: string) => ({ folderId: id, folderName: names.folder(id) });
  switch (body.type) {
    case 'space.create':
      return { ...item, ...member(author), role: 'admin', spaceName: body.name };
    case 'space.rename':
      return { ...item, spaceName: body.name };
    case 'member.add':
    case 'member.role':
      return { ...item, ...member(body.member), role: body.role };
    case 'member.remove':
      return { ...item, ...member(body.member) };
    case 'member.leave':
    case 'member.rename':
      return { ...item, ...member(author) };
    case 'folder.add':
      return { ...item, ...folder(body.folder), access: { ...body.access } };
    case 'folder.remove':
      return { ...item, ...folder(body.folder) };
    case 'folder.grant': {
      const to = body.to === 'members' || body.to === 'guests' ? {} : member(body.to);
      return { ...item, ...folder(body.folder), ...to, to: body.to, access: body.access };
    }
    case 'channel.add':
      return { ...item, channelId: body.channel, channelName: names.channel(body.channel) };
    case 'channel.member':
      return { ...item, channelId: body.channel, channelName: names.channel(body.channel), ...member(body.member), in: body.in };
    case 'keeper.endpoint':
      return { ...item, ...member(author), addresses: [...body.tcp, ...body.dht] };
  }
}

/**
 * Whom and what a viewer may see in the history. The firm (admins and members, who hold every
 * name of the space) sees all. Anyone else: itself and the firm's people (their last role, so
 * that grants made by a former admin stay explained), and the folders it may read now.
 */
function visibility(state: SpaceState, viewer: string): { member(id: string): boolean; folder(id: string): boolean; channel(id: string): boolean } {
  const role = state.roleOf(viewer);
  if (role === 'admin' || role === 'member') return { member: () => true, folder: () => true, channel: () => true };
  return {
    channel: (id) => state.mayReadChannel(id, viewer),
    member: (id) => {
      if (id === viewer) return true;
      const m = state.members.get(id);
      return m !== undefined && (m.role === 'admin' || m.role === 'member');
    },
    folder: (id) => state.accessOf(id, viewer) !== 'none',
  };
}

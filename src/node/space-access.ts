import { buildAudit, type AuditItem } from '../core/spaces/audit.js';
import type { SpaceService } from '../core/spaces/space-service.js';
import { unnamed, type MemberState } from '../core/spaces/space-state.js';
import type { SyncService } from '../core/sync/sync-service.js';
import { AgoraError, BadRequestError, ForbiddenError, NotFoundError } from '../errors/index.js';
import type { Store } from '../ports/store.js';
import { DEFAULT_FOLDER_ACCESS, type Access, type FolderAccess, type GrantAccess, type GrantTarget, type Role } from '../protocol/index.js';

/** A folder of a space as the log has it, whether or not this device syncs it. */
export interface SpaceFolderRef {
  spaceId: string;
  folderId: string;
  /** Null when this device does not know the name. */
  name: string | null;
}

export interface MemberAccess {
  memberId: string;
  name: string;
  role: Role;
  access: Access;
}

export interface GrantResult {
  spaceId: string;
  folderId: string;
  folderName: string | null;
  to: GrantTarget;
  /** The member's name when `to` is one member. */
  toName: string | null;
  access: GrantAccess;
}

export interface InviteGrant {
  folderId: string;
  name: string | null;
  access: Access;
}

/** What `audit` narrows the file changes to. */
export interface AuditOptions {
  /** One folder (id, id prefix, name or "Space/Folder"); log entries stay all. */
  folder?: string;
  /** At most this many file changes, the newest (default DEFAULT_AUDIT_FILE_LIMIT). */
  limit?: number;
}

/** File changes an audit shows unless told otherwise: the newest thousand. */
export const DEFAULT_AUDIT_FILE_LIMIT = 1000;


/**
 * Roles, removals, folder grants, effective access and the audit: what admins do to decide who
 * sees what, and what anyone can see of it. Every change is a log entry; this class checks
 * first what the log would refuse, so that people get a readable reason, and refuses what the
 * log would accept but nobody wants (a space with no admin left).
 */
export class SpaceAccess {
  constructor(
    private readonly deps: { spaces: SpaceService; sync: SyncService; store: Store; selfId: string; selfName: () => string },
  ) {}

  setRole(spaceRef: string, memberRef: string, role: Role): MemberState {
    const space = this.deps.spaces.resolve(spaceRef);
    if (role === 'keeper') throw new BadRequestError('A member cannot be made a keeper; the roles are admin, member and guest.');
    this.requireAdmin(space.spaceId, 'change roles');
    const target = this.member(space.spaceId, memberRef);
    // Asking for the role a member already has is done, not an error: scripts can repeat it.
    if (target.role === role) return { ...target };
    if (target.role === 'admin') this.keepAnAdmin(space.spaceId, 'make the last admin', role);
    this.deps.spaces.append(space.spaceId, { type: 'member.role', member: target.memberId, role });
    return { ...this.deps.spaces.state(space.spaceId).members.get(target.memberId)! };
  }

  removeMember(spaceRef: string, memberRef: string): MemberState {
    const space = this.deps.spaces.resolve(spaceRef);
    this.requireAdmin(space.spaceId, 'remove members');
    const target = this.member(space.spaceId, memberRef);
    if (target.role === 'admin') this.keepAnAdmin(space.spaceId, 'remove the last admin');
    this.deps.spaces.append(space.spaceId, { type: 'member.remove', member: target.memberId });
    return { ...target, active: false };
  }

  grant(folderRef: string, to: string, access: GrantAccess, spaceRef?: string): GrantResult {
    const folder = this.folder(folderRef, spaceRef);
    this.requireAdmin(folder.spaceId, 'grant access to folders');
    if (!this.deps.spaces.state(folder.spaceId).folders.get(folder.folderId)?.active) {
      throw new NotFoundError(`"${folder.name ?? folderRef}" was removed from the space; there is nothing to grant.`);
    }
    const role = grantTarget(to);
    if (role !== null && access === 'default') {
      throw new BadRequestError(`The default of ${role} is none, read or write; "default" puts one member back to its role's default.`);
    }
    const target: GrantTarget = role ?? this.member(folder.spaceId, to).memberId;
    this.deps.spaces.append(folder.spaceId, { type: 'folder.grant', folder: folder.folderId, to: target, access });
    return {
      spaceId: folder.spaceId,
      folderId: folder.folderId,
      folderName: folder.name,
      to: target,
      toName: role === null ? this.nameOf(folder.spaceId, target) : null,
      access,
    };
  }

  /** Effective access of every member this device may list. */
  folderAccess(folderRef: string, spaceRef?: string): { folder: SpaceFolderRef; members: MemberAccess[] } {
    const folder = this.folder(folderRef, spaceRef);
    const state = this.deps.spaces.state(folder.spaceId);
    const members = this.deps.spaces
      .visibleMembers(folder.spaceId)
      .map((m) => ({ memberId: m.memberId, name: this.nameOf(folder.spaceId, m.memberId), role: m.role, access: state.accessOf(folder.folderId, m.memberId) }))
      .sort((a, b) => roleRank(a.role) - roleRank(b.role) || a.name.localeCompare(b.name) || a.memberId.localeCompare(b.memberId));
    return { folder, members };
  }

  /**
   * The space log, then the newest file changes of the folders this device holds, from its
   * file history (each checked against its author's signature when it was recorded).
   */
  audit(spaceRef: string, options: AuditOptions = {}): AuditItem[] {
    const space = this.deps.spaces.resolve(spaceRef);
    const { spaces, store } = this.deps;
    const limit = options.limit ?? DEFAULT_AUDIT_FILE_LIMIT;
    if (!Number.isSafeInteger(limit) || limit < 0) throw new BadRequestError(`The limit must be a whole number from 0 (got ${limit}).`);
    let folders = store.folders.list(space.spaceId).map((f) => f.folderId);
    if (options.folder !== undefined) {
      const only = this.folder(options.folder, space.spaceId).folderId;
      folders = folders.filter((id) => id === only);
    }
    return buildAudit({
      result: spaces.replayResult(space.spaceId),
      viewer: this.deps.selfId,
      names: {
        member: (id) => spaces.memberName(space.spaceId, id),
        folder: (id) => spaces.folderName(space.spaceId, id),
        channel: (id) => spaces.channelName(space.spaceId, id),
      },
      files: folders.map((folderId) => ({ folderId, history: (n) => store.fileHistory.list(folderId, { limit: n }) })),
      fileLimit: limit,
    });
  }

  /** A folder's default access, from the options of `folder add` (unset keys keep the default). */
  folderDefaults(spaceRef: string, access: Partial<FolderAccess> | undefined): FolderAccess {
    const full = { ...DEFAULT_FOLDER_ACCESS, ...access };
    if (full.guests !== 'none') {
      const space = this.deps.spaces.resolve(spaceRef);
      this.requireAdmin(space.spaceId, 'share a folder with guests');
    }
    return full;
  }

  /** Resolves the folders an invite grants; `ref` as `folder grant` takes it, within the space. */
  inviteGrants(spaceId: string, grants: readonly { folder: string; access: Access }[]): InviteGrant[] {
    return grants.map((g) => {
      const f = this.folder(g.folder, spaceId);
      return { folderId: f.folderId, name: f.name, access: g.access };
    });
  }

  /**
   * A folder by id, id prefix (6+), "Space/Folder" or name. Folders this device has come first;
   * then the folders of the log that the caller may know of (an admin's or member's node holds
   * them all; a guest's only those it may read).
   */
  folder(ref: string, spaceRef?: string): SpaceFolderRef {
    const spaceId = spaceRef === undefined ? undefined : this.deps.spaces.resolve(spaceRef).spaceId;
    try {
      const record = this.deps.sync.resolve(ref);
      if (spaceId === undefined || record.spaceId === spaceId) return this.visibleFolder(record.spaceId, record.folderId, ref);
    } catch (err) {
      // Not among this device's folders, or several are and --space narrows them: ask the log.
      const narrowable = err instanceof AgoraError && (err.code === 'NOT_FOUND' || (err.code === 'AMBIGUOUS' && spaceId !== undefined));
      if (!narrowable) throw err;
    }
    const candidates: SpaceFolderRef[] = [];
    for (const s of this.deps.spaces.list()) {
      if (spaceId !== undefined && s.spaceId !== spaceId) continue;
      for (const f of this.deps.spaces.state(s.spaceId).activeFolders()) {
        if (this.maySee(s.spaceId, f.folderId)) candidates.push({ spaceId: s.spaceId, folderId: f.folderId, name: this.deps.spaces.folderName(s.spaceId, f.folderId) });
      }
    }
    const lower = ref.toLowerCase();
    let matches = candidates.filter((c) => c.folderId === lower);
    if (matches.length === 0 && /^[0-9a-f]{6,}$/.test(lower)) matches = candidates.filter((c) => c.folderId.startsWith(lower));
    if (matches.length === 0) matches = candidates.filter((c) => c.name === ref);
    if (matches.length === 0) matches = candidates.filter((c) => c.name?.toLowerCase() === lower);
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new NotFoundError(`No folder "${ref}"${spaceId === undefined ? '' : ' in this space'}. See the folders with: agora folder list`);
    throw new AgoraError('AMBIGUOUS', `Several folders match "${ref}"; name it as Space/Folder or by its id (agora folder list).`);
  }

  private visibleFolder(spaceId: string, folderId: string, ref: string): SpaceFolderRef {
    if (!this.deps.spaces.has(spaceId) || !this.maySee(spaceId, folderId)) {
      throw new ForbiddenError(`You no longer have access to "${ref}" in its space; ask an admin (agora members lists them).`);
    }
    return { spaceId, folderId, name: this.deps.spaces.folderName(spaceId, folderId) };
  }

  /** The firm sees every folder of the log; anyone else only the folders it may read. */
  private maySee(spaceId: string, folderId: string): boolean {
    const state = this.deps.spaces.state(spaceId);
    const role = state.roleOf(this.deps.selfId);
    if (role === 'admin' || role === 'member') return state.folders.has(folderId);
    return state.accessOf(folderId, this.deps.selfId) !== 'none';
  }

  /** An active member this device may list, by id, id prefix (6+ hex) or unique display name. */
  member(spaceId: string, ref: string): MemberState {
    const list = this.deps.spaces.visibleMembers(spaceId);
    const lower = ref.toLowerCase();
    let matches = list.filter((m) => m.memberId === lower);
    if (matches.length === 0 && /^[0-9a-f]{6,}$/.test(lower)) matches = list.filter((m) => m.memberId.startsWith(lower));
    if (matches.length === 0) matches = list.filter((m) => this.nameOf(spaceId, m.memberId) === ref);
    if (matches.length === 0) matches = list.filter((m) => this.nameOf(spaceId, m.memberId).toLowerCase() === lower);
    if (matches.length === 1) return { ...matches[0]! };
    if (matches.length === 0) throw new NotFoundError(`No member "${ref}" in this space. See the members with: agora members --space SPACE`);
    throw new AgoraError('AMBIGUOUS', `Several members match "${ref}"; name one by its id (agora members --space SPACE shows the ids).`);
  }

  nameOf(spaceId: string, memberId: string): string {
    if (memberId === this.deps.selfId) return this.deps.selfName();
    return this.deps.spaces.memberName(spaceId, memberId) ?? unnamed(memberId);
  }

  private requireAdmin(spaceId: string, what: string): void {
    if (this.deps.spaces.state(spaceId).roleOf(this.deps.selfId) !== 'admin') {
      throw new ForbiddenError(`Only admins of the space can ${what}; ask an admin (agora members lists them).`);
    }
  }

  /** The log would let the last admin go; a space nobody can manage any more helps nobody. */
  private keepAnAdmin(spaceId: string, what: string, role?: Role): void {
    if (this.deps.spaces.state(spaceId).adminCount() > 1) return;
    throw new AgoraError(
      'LAST_ADMIN',
      `Cannot ${what}${role === undefined ? '' : ` a ${role}`}: a space needs at least one admin. Make someone else admin first (agora members role MEMBER --space SPACE admin).`,
    );
  }
}

/** `members`/`guests` (or `member`/`guest`) for a role default; null for one member. */
export function grantTarget(to: string): 'members' | 'guests' | null {
  const t = to.trim().toLowerCase();
  if (t === 'members' || t === 'member') return 'members';
  if (t === 'guests' || t === 'guest') return 'guests';
  return null;
}

function roleRank(role: Role): number {
  return ['admin', 'member', 'guest', 'keeper'].indexOf(role);
}

import type { DecodedEntry, LogBody, Role } from '../../protocol/index.js';

export interface FolderState {
  folderId: string;
  name: string;
  createdBy: string;
  /** False once removed from the space; devices keep their files. */
  active: boolean;
}

export interface MemberState {
  memberId: string;
  name: string;
  role: Role;
  /** False once removed or left; the record stays so that history can name it. */
  active: boolean;
  /** Invite id used to add this member, if any. */
  invite: string | null;
}

/**
 * What a space is at one point of its log: name, members and roles. Pure data; `authorize`
 * says whether an entry's author may do what the entry says, `apply` makes it so.
 */
export class SpaceState {
  name = '';
  private created = false;

  /** @param spaceId the id of the one space.create entry that may found this space */
  constructor(readonly spaceId: string) {}
  readonly members = new Map<string, MemberState>();
  /** How many members each invite has admitted, for use limits. */
  readonly inviteUses = new Map<string, number>();
  readonly folders = new Map<string, FolderState>();

  clone(): SpaceState {
    const copy = new SpaceState(this.spaceId);
    copy.created = this.created;
    copy.name = this.name;
    for (const [id, m] of this.members) copy.members.set(id, { ...m });
    for (const [id, n] of this.inviteUses) copy.inviteUses.set(id, n);
    for (const [id, f] of this.folders) copy.folders.set(id, { ...f });
    return copy;
  }

  roleOf(memberId: string): Role | null {
    const m = this.members.get(memberId);
    return m?.active ? m.role : null;
  }

  isActive(memberId: string): boolean {
    return this.roleOf(memberId) !== null;
  }

  activeMembers(): MemberState[] {
    return [...this.members.values()].filter((m) => m.active);
  }

  activeFolders(): FolderState[] {
    return [...this.folders.values()].filter((f) => f.active);
  }

  adminCount(): number {
    return this.activeMembers().filter((m) => m.role === 'admin').length;
  }

  /** Null if allowed, else the reason it is not. */
  authorize(entry: DecodedEntry): string | null {
    const { author, body } = entry.content;
    if (body.type === 'space.create') {
      if (entry.id !== this.spaceId) return 'this entry founds another space';
      return this.created ? 'the space already exists' : null;
    }
    if (!this.created) return 'the space does not exist yet';
    if (entry.content.space !== this.spaceId) return 'entry belongs to another space';
    const role = this.roleOf(author);
    if (role === null) return 'author is not a member';
    return authorizeBody(this, role, author, body);
  }

  apply(entry: DecodedEntry): void {
    const { author, body } = entry.content;
    switch (body.type) {
      case 'space.create':
        this.created = true;
        this.name = body.name;
        this.members.set(author, { memberId: author, name: body.creatorName, role: 'admin', active: true, invite: null });
        return;
      case 'space.rename':
        this.name = body.name;
        return;
      case 'member.add':
        this.members.set(body.member, {
          memberId: body.member,
          name: body.name,
          role: body.role,
          active: true,
          invite: body.invite,
        });
        if (body.invite !== null) this.inviteUses.set(body.invite, (this.inviteUses.get(body.invite) ?? 0) + 1);
        return;
      case 'member.role':
        this.members.get(body.member)!.role = body.role;
        return;
      case 'member.remove':
        this.members.get(body.member)!.active = false;
        return;
      case 'member.leave':
        this.members.get(author)!.active = false;
        return;
      case 'member.rename':
        this.members.get(author)!.name = body.name;
        return;
      case 'folder.add':
        this.folders.set(body.folder, { folderId: body.folder, name: body.name, createdBy: author, active: true });
        return;
      case 'folder.remove':
        this.folders.get(body.folder)!.active = false;
        return;
    }
  }
}

function authorizeBody(state: SpaceState, role: Role, author: string, body: LogBody): string | null {
  switch (body.type) {
    case 'space.create':
      return 'the space already exists';
    case 'space.rename':
      return role === 'admin' ? null : 'only admins rename the space';
    case 'member.add':
      if (role !== 'admin') return 'only admins add members';
      return state.isActive(body.member) ? 'already a member' : null;
    case 'member.role':
      if (role !== 'admin') return 'only admins change roles';
      if (!state.isActive(body.member)) return 'not a member';
      return state.roleOf(body.member) === body.role ? 'role unchanged' : null;
    case 'member.remove':
      if (role !== 'admin') return 'only admins remove members';
      return state.isActive(body.member) ? null : 'not a member';
    case 'member.leave':
    case 'member.rename':
      return state.isActive(author) ? null : 'not a member';
    case 'folder.add': {
      if (role !== 'admin' && role !== 'member') return 'only admins and members add folders';
      if (state.folders.has(body.folder)) return 'folder id already used';
      const clash = state.activeFolders().some((f) => f.name.toLowerCase() === body.name.toLowerCase());
      return clash ? 'a folder of that name already exists in the space' : null;
    }
    case 'folder.remove': {
      const folder = state.folders.get(body.folder);
      if (!folder?.active) return 'no such folder';
      return role === 'admin' || folder.createdBy === author ? null : 'only admins and the folder\'s creator remove it';
    }
  }
}

/** Entries that take power away from `body.member` (or from the author, for leave). */
export function revokedMember(entry: DecodedEntry): string | null {
  const body = entry.content.body;
  if (body.type === 'member.remove') return body.member;
  if (body.type === 'member.role' && body.role !== 'admin') return body.member;
  if (body.type === 'member.leave') return entry.content.author;
  return null;
}

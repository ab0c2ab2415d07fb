import { directMembers, GENERAL_CHANNEL, type Access, type ChannelHistory, type DecodedEntry, type FolderAccess, type LogBody, type Role } from '../../protocol/index.js';

export interface FolderState {
  folderId: string;
  /** Commitment to the folder's name; the name itself is known only to those who may read it. */
  nameHash: string;
  createdBy: string;
  /** False once removed from the space; devices keep their files. */
  active: boolean;
  /** Default access of members and guests (admins always write). */
  access: FolderAccess;
  /** Grants to single members; they override the role default. */
  grants: Map<string, Access>;
  /** Whether guests, as a role, were ever given access: then every guest may hold its log entries. */
  guestsEverIn: boolean;
  /** Members ever granted access of their own (any but `none`): they may hold its log entries. */
  everGranted: Set<string>;
}

/** A chat channel of the log (`general` and direct channels are implicit). */
export interface ChannelState {
  channelId: string;
  nameHash: string;
  createdBy: string;
  history: ChannelHistory;
  /** null: every member (not guests); else the private channel's members, each with when it was added. */
  members: Map<string, number> | null;
  /** Everyone who was ever in the private channel: their messages stay part of its history. */
  everMembers: Set<string>;
}

export interface MemberState {
  memberId: string;
  /** When the member was added (the adding entry's time): where "history from when they joined" starts. */
  joinedAt: number;
  /** Commitment to the member's display name (see NameRef). */
  nameHash: string;
  role: Role;
  /** False once removed or left; the record stays so that history can name it. */
  active: boolean;
  /** Invite id used to add this member, if any. */
  invite: string | null;
  /** Whether it was ever more than a guest (admin, member or keeper): guests may hold its log entries. */
  everStaff: boolean;
  /**
   * Set when it was last made a guest after holding the whole log: the members, folders and
   * channels it knew then. It goes on getting the entries about them (see guest-view.ts).
   */
  knewAsStaff: { members: Set<string>; folders: Set<string>; channels: Set<string> } | null;
}

/** Where a keeper says it can be reached (its latest keeper.endpoint entry). */
export interface KeeperEndpoint {
  keeperId: string;
  /** Its DHT node, "host:port": a bootstrap for members. */
  dht: string[];
  /** Its TCP fast path, "host:port". */
  tcp: string[];
  /** Public key (hex) of its blind relay. */
  relay: string;
}

/** How a member whose name this device may not know is shown: by the start of its id. */
export function unnamed(memberId: string): string {
  return `Member ${memberId.slice(0, 8)}`;
}

/** What a name commitment of the log names: a member (its display name) or a folder. */
export type NameSubject = { kind: 'member'; memberId: string } | { kind: 'folder'; folderId: string } | { kind: 'channel'; channelId: string };

/**
 * What a space is at one point of its log: name, members, roles, folders and who may read
 * and write each. Pure data; `authorize` says whether an entry's author may do what the
 * entry says, `apply` makes it so. Every node that holds the same entries reaches the same
 * state, guests included: names are commitments here, so no decision depends on them.
 */
export class SpaceState {
  name = '';
  private created = false;

  /** @param spaceId the id of the one space.create entry that may found this space */
  constructor(readonly spaceId: string) {}
  readonly members = new Map<string, MemberState>();
  /** How many members each invite has admitted, for use limits. */
  readonly inviteUses = new Map<string, number>();
  /** When each invite was last used (the adding entry's time, by the clock of the admin who admitted). */
  readonly inviteLastUse = new Map<string, number>();
  readonly folders = new Map<string, FolderState>();
  readonly channels = new Map<string, ChannelState>();
  /** Every name commitment that took effect, and what it names. */
  readonly nameSubjects = new Map<string, NameSubject>();
  /** Each keeper's latest endpoint, whether or not it is still active (see `keepers()`). */
  readonly keeperEndpoints = new Map<string, KeeperEndpoint>();

  /** Active keepers that said where they are. */
  keepers(): KeeperEndpoint[] {
    return [...this.keeperEndpoints.values()].filter((k) => this.roleOf(k.keeperId) === 'keeper');
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

  /**
   * What `memberId` may do with a folder: admins write every folder; keepers get none (they
   * hold no plain data); otherwise the member's own grant, else the folder's creator writes,
   * else the default of the member's role.
   */
  accessOf(folderId: string, memberId: string): Access {
    const folder = this.folders.get(folderId);
    const role = this.roleOf(memberId);
    if (!folder?.active || role === null || role === 'keeper') return 'none';
    if (role === 'admin') return 'write';
    const own = folder.grants.get(memberId);
    if (own !== undefined) return own;
    if (folder.createdBy === memberId) return 'write';
    return role === 'member' ? folder.access.members : folder.access.guests;
  }

  /**
   * Whether `viewer` may learn the name behind a commitment: a member's name is for admins,
   * members, that member, and those it shares a private channel with; a folder's name for
   * those who may read the folder; a channel's name for those who may read the channel.
   */
  mayKnowName(hash: string, viewer: string): boolean {
    const subject = this.nameSubjects.get(hash);
    const role = this.roleOf(viewer);
    if (!subject || role === null) return false;
    if (subject.kind === 'member') return role === 'admin' || role === 'member' || subject.memberId === viewer || this.shareChannel(subject.memberId, viewer);
    if (subject.kind === 'channel') return this.mayReadChannel(subject.channelId, viewer);
    return role === 'admin' || this.accessOf(subject.folderId, viewer) !== 'none';
  }

  /** Whether two members are both in one private channel (a guest learns the names of those it talks to there). */
  private shareChannel(a: string, b: string): boolean {
    for (const c of this.channels.values()) if (c.members?.has(a) && c.members.has(b)) return true;
    return false;
  }

  /**
   * Whether `memberId` may read (and so post in) a chat channel: `general` and open channels
   * are for admins and members; a private channel for those it names; a direct channel for
   * its two members, if they may connect at all (never two guests). Keepers read nothing.
   */
  mayReadChannel(channelId: string, memberId: string): boolean {
    const role = this.roleOf(memberId);
    if (role === null || role === 'keeper') return false;
    const pair = directMembers(channelId);
    if (pair) return (pair[0] === memberId || pair[1] === memberId) && this.mayConnect(pair[0], pair[1]);
    if (channelId === GENERAL_CHANNEL) return role !== 'guest';
    const channel = this.channels.get(channelId);
    if (!channel) return false;
    return channel.members === null ? role !== 'guest' : channel.members.has(memberId);
  }

  /**
   * From when `memberId` sees a channel's messages (ms, author's clock), or null if it may not
   * read it: 0 for full history and direct channels, else when it joined the space or the channel.
   */
  historyStart(channelId: string, memberId: string): number | null {
    if (!this.mayReadChannel(channelId, memberId)) return null;
    if (directMembers(channelId)) return 0;
    const channel = this.channels.get(channelId);
    if (channel?.history === 'full') return 0;
    const joined = this.members.get(memberId)!.joinedAt;
    return Math.max(joined, channel?.members?.get(memberId) ?? 0);
  }

  /**
   * Whether a message by `author` belongs in a channel's history: the author may read it now,
   * or could once (a former member's messages stay where they were written).
   */
  mayHaveWritten(channelId: string, author: string): boolean {
    if (this.mayReadChannel(channelId, author)) return true;
    const member = this.members.get(author);
    if (!member || member.role === 'keeper') return false;
    const pair = directMembers(channelId);
    if (pair) return pair[0] === author || pair[1] === author;
    if (channelId === GENERAL_CHANNEL) return member.role !== 'guest' || !member.active;
    const channel = this.channels.get(channelId);
    if (!channel) return false;
    return channel.members === null ? member.role !== 'guest' || !member.active : channel.everMembers.has(author);
  }

  /** Channels of the log that `memberId` may read, oldest first. */
  readableChannels(memberId: string): ChannelState[] {
    return [...this.channels.values()].filter((c) => this.mayReadChannel(c.channelId, memberId));
  }

  /**
   * Whether two devices may connect at all: both active, and not both guests (guests see
   * only the firm, never each other).
   */
  mayConnect(a: string, b: string): boolean {
    const ra = this.roleOf(a);
    const rb = this.roleOf(b);
    return ra !== null && rb !== null && !(ra === 'guest' && rb === 'guest');
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
        this.members.set(author, { memberId: author, joinedAt: entry.content.time, nameHash: body.creatorName.h, role: 'admin', active: true, invite: null, everStaff: true, knewAsStaff: null });
        this.nameSubjects.set(body.creatorName.h, { kind: 'member', memberId: author });
        return;
      case 'space.rename':
        this.name = body.name;
        return;
      case 'member.add':
        this.members.set(body.member, {
          memberId: body.member,
          joinedAt: entry.content.time,
          nameHash: body.name.h,
          role: body.role,
          active: true,
          invite: body.invite,
          // Sticky: a guest's peers keep the entries about someone who was ever staff.
          everStaff: body.role !== 'guest' || (this.members.get(body.member)?.everStaff ?? false),
          knewAsStaff: this.members.get(body.member)?.knewAsStaff ?? null,
        });
        this.nameSubjects.set(body.name.h, { kind: 'member', memberId: body.member });
        if (body.invite !== null) {
          this.inviteUses.set(body.invite, (this.inviteUses.get(body.invite) ?? 0) + 1);
          this.inviteLastUse.set(body.invite, Math.max(entry.content.time, this.inviteLastUse.get(body.invite) ?? 0));
        }
        return;
      case 'member.role': {
        const member = this.members.get(body.member)!;
        if (body.role === 'guest' && member.role !== 'guest') {
          member.knewAsStaff = { members: new Set(this.members.keys()), folders: new Set(this.folders.keys()), channels: new Set(this.channels.keys()) };
        }
        member.role = body.role;
        if (body.role !== 'guest') member.everStaff = true;
        return;
      }
      case 'member.remove':
        this.members.get(body.member)!.active = false;
        return;
      case 'member.leave':
        this.members.get(author)!.active = false;
        return;
      case 'member.rename':
        this.members.get(author)!.nameHash = body.name.h;
        this.nameSubjects.set(body.name.h, { kind: 'member', memberId: author });
        return;
      case 'folder.add':
        this.folders.set(body.folder, {
          folderId: body.folder,
          nameHash: body.name.h,
          createdBy: author,
          active: true,
          access: { ...body.access },
          grants: new Map(),
          guestsEverIn: body.access.guests !== 'none',
          everGranted: new Set(),
        });
        this.nameSubjects.set(body.name.h, { kind: 'folder', folderId: body.folder });
        return;
      case 'folder.remove':
        this.folders.get(body.folder)!.active = false;
        return;
      case 'folder.grant': {
        const folder = this.folders.get(body.folder)!;
        // authorize() lets `default` through for one member only.
        if (body.to === 'members') folder.access = { ...folder.access, members: body.access as Access };
        else if (body.to === 'guests') folder.access = { ...folder.access, guests: body.access as Access };
        else if (body.access === 'default') folder.grants.delete(body.to);
        else folder.grants.set(body.to, body.access);
        if (body.access !== 'none' && body.to === 'guests') folder.guestsEverIn = true;
        if (body.access !== 'none' && body.to !== 'guests' && body.to !== 'members') folder.everGranted.add(body.to);
        return;
      }
      case 'channel.add': {
        const members = body.members === null ? null : new Map([author, ...body.members].map((m) => [m, entry.content.time]));
        this.channels.set(body.channel, {
          channelId: body.channel,
          nameHash: body.name.h,
          createdBy: author,
          history: body.history,
          members,
          everMembers: new Set(members?.keys() ?? []),
        });
        this.nameSubjects.set(body.name.h, { kind: 'channel', channelId: body.channel });
        return;
      }
      case 'keeper.endpoint':
        this.keeperEndpoints.set(author, { keeperId: author, dht: body.dht, tcp: body.tcp, relay: body.relay });
        break;
      case 'channel.member': {
        const channel = this.channels.get(body.channel)!;
        if (body.in) {
          channel.members!.set(body.member, entry.content.time);
          channel.everMembers.add(body.member);
        } else channel.members!.delete(body.member);
        return;
      }
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
      if (state.nameSubjects.has(body.name.h)) return 'name commitment already used';
      return state.isActive(body.member) ? 'already a member' : null;
    case 'member.role':
      if (role !== 'admin') return 'only admins change roles';
      if (!state.isActive(body.member)) return 'not a member';
      return state.roleOf(body.member) === body.role ? 'role unchanged' : null;
    case 'member.remove':
      if (role !== 'admin') return 'only admins remove members';
      return state.isActive(body.member) ? null : 'not a member';
    case 'member.leave':
      return state.isActive(author) ? null : 'not a member';
    case 'member.rename':
      if (state.nameSubjects.has(body.name.h)) return 'name commitment already used';
      return state.isActive(author) ? null : 'not a member';
    case 'folder.add': {
      if (role !== 'admin' && role !== 'member') return 'only admins and members add folders';
      if (state.folders.has(body.folder) || state.nameSubjects.has(body.name.h)) return 'folder id already used';
      // Name clashes cannot be judged here (guests replay without the names): the author's
      // node refuses them, and concurrent clashes are told apart on disk (see folder paths).
      if (role !== 'admin' && body.access.guests !== 'none') return 'only admins share folders with guests';
      return null;
    }
    case 'folder.grant': {
      if (role !== 'admin') return 'only admins grant access to folders';
      if (!state.folders.get(body.folder)?.active) return 'no such folder';
      const toRole = body.to === 'members' || body.to === 'guests';
      if (!toRole && !state.isActive(body.to)) return 'not a member';
      if (toRole && body.access === 'default') return 'a role\'s default is none, read or write';
      return null;
    }
    case 'folder.remove': {
      const folder = state.folders.get(body.folder);
      if (!folder?.active) return 'no such folder';
      return role === 'admin' || folder.createdBy === author ? null : 'only admins and the folder\'s creator remove it';
    }
    case 'channel.add': {
      if (role !== 'admin') return 'only admins create channels';
      if (state.channels.has(body.channel) || state.nameSubjects.has(body.name.h)) return 'channel id already used';
      if (body.members !== null && body.members.some((m) => !state.isActive(m) || state.roleOf(m) === 'keeper')) return 'a channel member is not a member';
      return null;
    }
    case 'channel.member': {
      if (role !== 'admin') return 'only admins change who is in a channel';
      const channel = state.channels.get(body.channel);
      if (!channel) return 'no such channel';
      if (channel.members === null) return 'every member is in an open channel';
      if (body.in && (!state.isActive(body.member) || state.roleOf(body.member) === 'keeper')) return 'not a member';
      return channel.members.has(body.member) === body.in ? 'nothing changes' : null;
    }
    case 'keeper.endpoint':
      return role === 'keeper' ? null : 'only a keeper says where it is';
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

import type { AttachmentService } from '../core/chat/attachments.js';
import type { ChatService} from '../core/chat/chat-service.js';
import { type ChannelInfo } from '../core/chat/chat-service.js';
import type { ChatMessageView } from '../core/chat/chat-view.js';
import type { SpaceService } from '../core/spaces/space-service.js';
import { BadRequestError, NotFoundError } from '../errors/index.js';
import { directChannelId, directMembers, GENERAL_CHANNEL, type AttachmentRef, type ChannelHistory, type PresenceState } from '../protocol/index.js';
import type { ReadHandle } from '../ports/fs.js';
import type { Store } from '../ports/store.js';
import type { SpaceAccess } from './space-access.js';

/** Which conversation: a channel by name or id, or the direct one with a member (id, prefix or name). */
export type ChatTargetRef = { channel: string } | { with: string };

export interface ChannelSummary {
  channelId: string;
  name: string;
  kind: ChannelInfo['kind'];
  /** How many members may read it. */
  members: number;
  memberIds: string[];
  /** Direct conversations: the other member. */
  with: string | null;
  history: ChannelHistory;
  unread: number;
  lastMessageAt: number | null;
}

export interface AttachmentSummary {
  attachmentId: string;
  name: string;
  size: number;
  /** Whether the file is on this device (else it is fetched when opened). */
  available: boolean;
}

export interface ChatMessage {
  messageId: string;
  spaceId: string;
  channelId: string;
  /** The channel's name, or `@Name` for a direct conversation. */
  channel: string;
  author: string;
  authorName: string;
  text: string;
  mentions: string[];
  /** Whether this device's member is mentioned. */
  mentionsMe: boolean;
  attachments: AttachmentSummary[];
  sentAt: number;
  editedAt: number | null;
  deleted: boolean;
}

/**
 * Chat as the API and CLI see it: spaces, channels and members named the way users name them
 * (names, id prefixes), messages with their authors' names, mentions found in the text.
 */
export class SpaceChat {
  constructor(
    private readonly deps: { spaces: SpaceService; chat: ChatService; attachments: AttachmentService; access: SpaceAccess; store: Store; selfId: string },
  ) {}

  channels(spaceRef: string): ChannelSummary[] {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    return this.deps.chat.list(spaceId).map((c) => this.summary(spaceId, c));
  }

  createChannel(spaceRef: string, name: string, memberRefs: readonly string[], history: ChannelHistory = 'join'): ChannelSummary {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const members = memberRefs.length === 0 ? null : memberRefs.map((m) => this.deps.access.member(spaceId, m).memberId);
    return this.summary(spaceId, this.deps.chat.createChannel(spaceId, name, members, history));
  }

  setChannelMember(spaceRef: string, channelRef: string, memberRef: string, inChannel: boolean): ChannelSummary {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const channelId = this.channelId(spaceId, { channel: channelRef });
    const member = this.deps.access.member(spaceId, memberRef).memberId;
    return this.summary(spaceId, this.deps.chat.setChannelMember(spaceId, channelId, member, inChannel));
  }

  send(spaceRef: string, target: ChatTargetRef, text: string, attachments: readonly AttachmentRef[] = []): ChatMessage {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const channelId = this.channelId(spaceId, target);
    for (const ref of attachments) this.deps.attachments.requireLocal(spaceId, ref);
    const view = this.deps.chat.post(spaceId, channelId, text, { mentions: this.mentions(spaceId, text), attachments: [...attachments] });
    return this.message(spaceId, view);
  }

  read(spaceRef: string, target: ChatTargetRef, options: { since?: string; limit?: number; markRead?: boolean } = {}): ChatMessage[] {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const channelId = this.channelId(spaceId, target);
    const channel = this.channelName(spaceId, channelId);
    return this.deps.chat.read(spaceId, channelId, options).map((v) => this.message(spaceId, v, channel));
  }

  edit(spaceRef: string, messageRef: string, text: string): ChatMessage {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const id = this.deps.chat.message(spaceId, messageRef).id;
    return this.message(spaceId, this.deps.chat.edit(spaceId, id, text, this.mentions(spaceId, text)));
  }

  remove(spaceRef: string, messageRef: string): ChatMessage {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const id = this.deps.chat.message(spaceId, messageRef).id;
    return this.message(spaceId, this.deps.chat.remove(spaceId, id));
  }

  /** One post as it reads now, by id, if this device may read its conversation (optionally: only in `channelRef`). */
  get(spaceRef: string, messageId: string, channelRef?: string): ChatMessage | undefined {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const stored = this.deps.store.chat.get(messageId);
    if (!stored || stored.spaceId !== spaceId || stored.kind !== 'post') return undefined;
    if (!this.deps.spaces.state(spaceId).mayReadChannel(stored.channelId, this.deps.selfId)) return undefined;
    if (channelRef !== undefined && stored.channelId !== channelRef && this.channelName(spaceId, stored.channelId) !== channelRef) return undefined;
    const view = this.deps.chat.view(spaceId, stored.channelId, stored.id);
    return view && this.message(spaceId, view);
  }

  importAttachment(spaceRef: string, name: string, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<AttachmentRef> {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    if (name.trim() === '' || /[\\/\u0000-\u001f]/.test(name) || name.length > 255) throw new BadRequestError(`"${name}" cannot be an attachment name.`);
    return this.deps.attachments.importStream(spaceId, name, source, signal);
  }

  /** An attachment of a message this device may read, fetched first if it is not here yet. */
  async openAttachment(spaceRef: string, attachmentId: string, signal?: AbortSignal): Promise<{ handle: ReadHandle; size: number; name: string }> {
    const spaceId = this.deps.spaces.resolve(spaceRef).spaceId;
    const ref = this.readableAttachment(spaceId, attachmentId);
    const opened = await this.deps.attachments.open(spaceId, ref, signal);
    return { ...opened, name: ref.name };
  }

  setPresence(state: PresenceState): void {
    this.deps.chat.setPresence(state);
  }

  presenceOf(memberId: string): PresenceState | 'offline' {
    return this.deps.chat.presenceOf(memberId);
  }

  private readableAttachment(spaceId: string, attachmentId: string): AttachmentRef {
    const state = this.deps.spaces.state(spaceId);
    const channels = this.deps.store.chat.attachmentChannels(spaceId, attachmentId).filter((c) => state.mayReadChannel(c, this.deps.selfId));
    for (const channelId of channels) {
      for (const v of this.deps.chat.read(spaceId, channelId, { markRead: false })) {
        const ref = v.attachments.find((a) => a.id === attachmentId);
        if (ref) return ref;
      }
    }
    throw new NotFoundError('No message you can read carries this attachment.');
  }

  private channelId(spaceId: string, target: ChatTargetRef): string {
    if ('with' in target) {
      const other = this.deps.access.member(spaceId, target.with).memberId;
      if (other === this.deps.selfId) throw new BadRequestError('A direct message goes to someone else; for notes to yourself, use a private channel.');
      return directChannelId(this.deps.selfId, other);
    }
    const ref = target.channel.replace(/^#/, '');
    if (ref.toLowerCase() === GENERAL_CHANNEL) return GENERAL_CHANNEL;
    const list = this.deps.chat.list(spaceId).filter((c) => c.kind !== 'direct');
    const hit =
      list.find((c) => c.channelId === ref) ??
      list.find((c) => c.name === ref) ??
      list.find((c) => c.name?.toLowerCase() === ref.toLowerCase()) ??
      (/^[0-9a-f]{6,}$/.test(ref) ? list.find((c) => c.channelId.startsWith(ref)) : undefined);
    if (!hit) throw new NotFoundError(`No channel "${target.channel}" that you are in. See the channels with: agora chat channels --space SPACE`);
    return hit.channelId;
  }

  /** Members named as @Name (or @id-prefix) in the text whom this device may list. */
  private mentions(spaceId: string, text: string): string[] {
    const out = new Set<string>();
    const members = this.deps.spaces.visibleMembers(spaceId);
    for (const m of members) {
      const name = this.deps.access.nameOf(spaceId, m.memberId);
      const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      if (new RegExp(`(^|[^\\w@])@${escaped}(?![\\w])`, 'i').test(text) || text.includes(`@${m.memberId.slice(0, 12)}`)) out.add(m.memberId);
    }
    return [...out];
  }

  private summary(spaceId: string, c: ChannelInfo): ChannelSummary {
    const name = c.kind === 'direct' ? `@${this.deps.access.nameOf(spaceId, c.with!)}` : (c.name ?? `#${c.channelId.slice(0, 12)}`);
    return {
      channelId: c.channelId,
      name,
      kind: c.kind,
      members: c.members.length,
      memberIds: c.members,
      with: c.with,
      history: c.history,
      unread: c.unread,
      lastMessageAt: c.lastMessageAt,
    };
  }

  private channelName(spaceId: string, channelId: string): string {
    const pair = directMembers(channelId);
    if (pair) return `@${this.deps.access.nameOf(spaceId, pair[0] === this.deps.selfId ? pair[1] : pair[0])}`;
    return this.deps.spaces.channelName(spaceId, channelId) ?? `#${channelId.slice(0, 12)}`;
  }

  private message(spaceId: string, v: ChatMessageView, channel = this.channelName(spaceId, v.channelId)): ChatMessage {
    return {
      messageId: v.messageId,
      spaceId,
      channelId: v.channelId,
      channel,
      author: v.author,
      authorName: this.deps.access.nameOf(spaceId, v.author),
      text: v.text,
      mentions: v.mentions,
      mentionsMe: v.mentions.includes(this.deps.selfId),
      attachments: v.attachments.map((a) => ({
        attachmentId: a.id,
        name: a.name,
        size: a.size,
        available: this.deps.attachments.isAvailable(spaceId, a.id),
      })),
      sentAt: v.sentAt,
      editedAt: v.editedAt,
      deleted: v.deleted,
    };
  }
}

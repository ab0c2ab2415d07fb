import { AgoraError, BadRequestError, ForbiddenError, NotFoundError } from '../../errors/index.js';
import {
  chatBodySchema,
  decodeChatMessage,
  directChannelId,
  directMembers,
  displayName,
  encodeChatMessage,
  GENERAL_CHANNEL,
  MAX_CHAT_BATCH,
  type AttachmentRef,
  type ChannelHistory,
  type ChatBatch,
  type ChatBody,
  type ChatHello,
  type DecodedChatMessage,
  type PresenceState,
  type SignedChatMessage,
} from '../../protocol/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import type { StoredChatMessage, Store } from '../../ports/store.js';
import { randomBytes, randomHex, verify } from '../crypto.js';
import type { EventBus } from '../events.js';
import type { SpaceService } from '../spaces/space-service.js';
import type { SpaceState } from '../spaces/space-state.js';
import { ChatChannel, type ChatChannelHandler } from './chat-channel.js';
import { foldChannel, type ChatMessageView } from './chat-view.js';

const ZERO_LOG_ID = '0'.repeat(32);

export interface ChatServiceDeps {
  store: Store;
  spaces: SpaceService;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  isOnline(deviceId: string): boolean;
  /** Parts of attachments for peers (see AttachmentService); null: none to serve. */
  serveAttachment?(spaceId: string, peer: string, attachmentId: string, part: number, signal: AbortSignal): Promise<Buffer | null>;
  /** A post with attachments arrived: fetch them if they are small enough to fetch unasked. */
  onAttachments?(spaceId: string, refs: readonly AttachmentRef[]): void;
  /** A peer of the space is connected (attachments that could not be fetched may be tried again). */
  onPeer?(spaceId: string): void;
}

/** A conversation as listed: `general`, a channel of the log, or a direct conversation. */
export interface ChannelInfo {
  channelId: string;
  kind: 'general' | 'channel' | 'private' | 'direct';
  /** Channel name (null when this device does not know it yet); for direct ones, null. */
  name: string | null;
  /** Who may read it now. */
  members: string[];
  /** For direct conversations: the other member. */
  with: string | null;
  history: ChannelHistory;
  unread: number;
  lastMessageAt: number | null;
}

/**
 * Messages of every space this device is in: writing (signed posts, edits, deletes), reading
 * (folded views in causal order), and keeping every peer that may read a channel in step
 * with what this device holds of it (store and forward, `agora/chat/1`).
 */
export class ChatService implements ChatChannelHandler {
  private readonly channels = new Map<string, Map<string, ChatChannel>>();
  private readonly peerLogIds = new Map<ChatChannel, string>();
  private readonly announceQueued = new Set<string>();
  /** Channels each peer may read, per space, as last looked at: a grown set gets that history sent. */
  private readonly readable = new Map<ChatChannel, Set<string>>();
  private readonly peerPresence = new Map<string, PresenceState>();
  private ownReadable = new Map<string, Set<string>>();
  private presence: PresenceState = 'online';
  private readonly selfId: string;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: ChatServiceDeps) {
    this.selfId = deps.spaces.selfId;
  }

  start(): void {
    this.deps.spaces.setDirectContacts((spaceId, a, b) => this.deps.store.chat.maxLamport(spaceId, directChannelId(a, b)) > 0);
    for (const s of this.deps.spaces.list()) this.ownReadable.set(s.spaceId, this.readableNow(s.spaceId, this.selfId));
    this.unsubscribe = this.deps.events.on('space.changed', ({ spaceId }) => this.onSpaceChanged(spaceId));
  }

  stop(): void {
    this.unsubscribe?.();
    for (const perSpace of this.channels.values()) for (const ch of perSpace.values()) ch.close();
    this.channels.clear();
  }

  // ---- what users do ----

  /** Creates a channel (admins): open to every member, or private to `members` (plus its creator). */
  createChannel(spaceId: string, name: string, members: string[] | null, history: ChannelHistory): ChannelInfo {
    this.deps.spaces.requireAdmin(spaceId);
    const clean = displayName.safeParse(name);
    if (!clean.success || /\s/.test(name) || name.startsWith('#')) {
      throw new BadRequestError(`"${name}" cannot be a channel name: use letters, digits, - or _, without spaces or #.`);
    }
    const lower = name.toLowerCase();
    if (lower === GENERAL_CHANNEL || [...this.deps.spaces.state(spaceId).channels.values()].some((c) => this.deps.spaces.channelName(spaceId, c.channelId)?.toLowerCase() === lower)) {
      throw new AgoraError('CONFLICT', `The space already has a channel called "${name}". Pick another name.`);
    }
    const state = this.deps.spaces.state(spaceId);
    const list = members === null ? null : [...new Set(members.filter((m) => m !== this.selfId))];
    for (const m of list ?? []) {
      if (!state.isActive(m) || state.roleOf(m) === 'keeper') throw new NotFoundError(`${m.slice(0, 12)} is not a member of this space.`);
    }
    const channelId = randomHex(32);
    const nameRef = this.deps.spaces.commitName(spaceId, name);
    this.deps.spaces.append(spaceId, { type: 'channel.add', channel: channelId, name: nameRef, members: list, history });
    return this.info(spaceId, channelId);
  }

  /** Adds a member to a private channel, or takes one out (admins). */
  setChannelMember(spaceId: string, channelId: string, member: string, inChannel: boolean): ChannelInfo {
    this.deps.spaces.requireAdmin(spaceId);
    const channel = this.deps.spaces.state(spaceId).channels.get(channelId);
    if (!channel) throw new NotFoundError('No such channel.');
    if (channel.members === null) throw new BadRequestError('Every member is in an open channel; only private channels have a member list.');
    if (channel.members.has(member) === inChannel) return this.info(spaceId, channelId);
    this.deps.spaces.append(spaceId, { type: 'channel.member', channel: channelId, member, in: inChannel });
    return this.info(spaceId, channelId);
  }

  /** Every conversation this device may read: general, the log's channels, then direct ones with messages. */
  list(spaceId: string): ChannelInfo[] {
    const state = this.deps.spaces.state(spaceId);
    const ids = [GENERAL_CHANNEL, ...state.readableChannels(this.selfId).map((c) => c.channelId)];
    const direct = this.deps.store.chat.channelIds(spaceId).filter((id) => directMembers(id) !== null && state.mayReadChannel(id, this.selfId));
    return [...ids, ...direct.sort()].filter((id) => state.mayReadChannel(id, this.selfId)).map((id) => this.info(spaceId, id));
  }

  info(spaceId: string, channelId: string): ChannelInfo {
    const state = this.deps.spaces.state(spaceId);
    const pair = directMembers(channelId);
    const channel = state.channels.get(channelId);
    const members = pair
      ? pair.filter((m) => state.isActive(m))
      : state.activeMembers().filter((m) => state.mayReadChannel(channelId, m.memberId)).map((m) => m.memberId);
    const messages = this.deps.store.chat.channel(spaceId, channelId);
    const last = messages.at(-1);
    return {
      channelId,
      kind: pair ? 'direct' : channelId === GENERAL_CHANNEL ? 'general' : channel?.members === null ? 'channel' : 'private',
      name: pair ? null : this.deps.spaces.channelName(spaceId, channelId),
      members,
      with: pair ? (pair[0] === this.selfId ? pair[1] : pair[0]) : null,
      history: pair ? 'full' : (channel?.history ?? 'join'),
      unread: this.deps.store.chat.countPostsSince(spaceId, channelId, this.deps.store.chat.readMark(spaceId, channelId), this.selfId),
      lastMessageAt: last ? last.time : null,
    };
  }

  /** Writes a post; it reaches every reader of the channel, now or when they next meet anyone who holds it. */
  post(spaceId: string, channelId: string, text: string, options: { mentions?: string[]; attachments?: AttachmentRef[] } = {}): ChatMessageView {
    this.requireReader(spaceId, channelId);
    if (text.trim() === '' && (options.attachments ?? []).length === 0) throw new BadRequestError('Write some text or attach a file.');
    const stored = this.write(spaceId, channelId, { type: 'post', text, mentions: options.mentions ?? [], attachments: options.attachments ?? [] });
    // A post just written has no edits yet: its view needs only itself, not the whole channel.
    return foldChannel([stored])[0]!;
  }

  /** Replaces the text of one of this device's own posts; readers see that it was edited. */
  edit(spaceId: string, messageId: string, text: string, mentions: string[] = []): ChatMessageView {
    const target = this.ownPost(spaceId, messageId);
    if (text.trim() === '') throw new BadRequestError('An edit needs some text; to remove the message, delete it.');
    this.write(spaceId, target.channelId, { type: 'edit', target: messageId, text, mentions });
    return this.view(spaceId, target.channelId, messageId)!;
  }

  /** Withdraws one of this device's own posts; readers see that it was deleted. */
  remove(spaceId: string, messageId: string): ChatMessageView {
    const target = this.ownPost(spaceId, messageId);
    this.write(spaceId, target.channelId, { type: 'delete', target: messageId });
    return this.view(spaceId, target.channelId, messageId)!;
  }

  /**
   * The channel's messages in causal order (after `since`, a message id, when given; the last
   * `limit` when given). Marks the channel read unless `markRead` is false.
   */
  read(spaceId: string, channelId: string, options: { since?: string; limit?: number; markRead?: boolean } = {}): ChatMessageView[] {
    this.requireReader(spaceId, channelId);
    let views = foldChannel(this.deps.store.chat.channel(spaceId, channelId));
    if (options.since !== undefined) {
      const at = views.findIndex((v) => v.messageId === options.since || v.messageId.startsWith(options.since!));
      if (at < 0) throw new NotFoundError(`No message ${options.since} in this channel.`);
      views = views.slice(at + 1);
    }
    if (options.limit !== undefined) views = views.slice(-options.limit);
    if (options.markRead !== false) this.deps.store.chat.setReadMark(spaceId, channelId, this.deps.store.chat.sequence(spaceId));
    return views;
  }

  view(spaceId: string, channelId: string, messageId: string): ChatMessageView | undefined {
    return foldChannel(this.deps.store.chat.channel(spaceId, channelId)).find((v) => v.messageId === messageId);
  }

  /** A stored message by id (or unique prefix of 8+ hex) in a space. */
  message(spaceId: string, ref: string): StoredChatMessage {
    const exact = this.deps.store.chat.get(ref);
    if (exact && exact.spaceId === spaceId) return exact;
    if (/^[0-9a-f]{8,}$/.test(ref)) {
      const state = this.deps.spaces.state(spaceId);
      const ids = [GENERAL_CHANNEL, ...state.readableChannels(this.selfId).map((c) => c.channelId), ...this.deps.store.chat.channelIds(spaceId)];
      for (const id of new Set(ids)) {
        if (!state.mayReadChannel(id, this.selfId)) continue;
        const hit = this.deps.store.chat.channel(spaceId, id).find((m) => m.id.startsWith(ref));
        if (hit) return hit;
      }
    }
    throw new NotFoundError(`No message ${ref} in this space.`);
  }

  setPresence(state: PresenceState): void {
    this.presence = state;
    for (const perSpace of this.channels.values()) for (const ch of perSpace.values()) ch.sendPresence(state);
    // This node's own app pages show it too, not only its peers.
    this.deps.events.emit('chat.presence', { deviceId: this.selfId, state });
  }

  presenceOf(memberId: string): PresenceState | 'offline' {
    if (memberId === this.selfId) return this.presence;
    if (!this.deps.isOnline(memberId)) return 'offline';
    return this.peerPresence.get(memberId) ?? 'online';
  }

  // ---- peers ----

  /** The peer manager calls this for every member connection and whenever shared spaces change. */
  attach(conn: PeerConnection, spaceIds: readonly string[]): void {
    let perSpace = this.channels.get(conn.remoteId);
    if (perSpace && [...perSpace.values()].some((c) => c.conn !== conn)) {
      for (const c of perSpace.values()) c.close();
      perSpace = undefined;
    }
    if (!perSpace) this.channels.set(conn.remoteId, (perSpace = new Map()));
    for (const [spaceId, ch] of perSpace) if (!spaceIds.includes(spaceId)) ch.close();
    for (const spaceId of spaceIds) {
      if (!perSpace.has(spaceId)) perSpace.set(spaceId, new ChatChannel(conn, spaceId, this, this.deps.clock, this.deps.logger));
    }
  }

  hello(peerId: string, spaceId: string): ChatHello {
    const have = this.deps.store.chat.peerState(spaceId, peerId);
    return { logId: this.logId(spaceId), haveLogId: have?.logId ?? ZERO_LOG_ID, haveSeq: have?.seq ?? 0, presence: this.presence };
  }

  onOpen(ch: ChatChannel, hello: ChatHello): void {
    const known = this.deps.store.chat.peerState(ch.spaceId, ch.peerId);
    // The peer's store was reset: what it said before no longer holds.
    if (known && known.logId !== hello.logId) this.deps.store.chat.setPeerState(ch.spaceId, ch.peerId, { logId: hello.logId, seq: 0 });
    this.peerLogIds.set(ch, hello.logId);
    ch.sentSeq = hello.haveLogId === this.logId(ch.spaceId) ? Math.min(hello.haveSeq, this.deps.store.chat.sequence(ch.spaceId)) : 0;
    this.peerPresence.set(ch.peerId, hello.presence);
    this.readable.set(ch, this.readableNow(ch.spaceId, ch.peerId));
    this.push(ch);
    this.deps.onPeer?.(ch.spaceId);
  }

  onBatch(ch: ChatChannel, batch: ChatBatch): void {
    if (!this.deps.spaces.has(ch.spaceId)) return;
    // One transaction per batch: a backlog of thousands arrives in a few hundred commits, not thousands.
    const added = this.deps.store.transaction(() => batch.items.filter((item) => this.ingest(ch.spaceId, item, ch.peerId)).length);
    const logId = this.peerLogIds.get(ch);
    if (batch.seq > 0 && logId !== undefined) this.deps.store.chat.setPeerState(ch.spaceId, ch.peerId, { logId, seq: batch.seq });
    if (added > 0) this.announce(ch.spaceId);
  }

  onWant(ch: ChatChannel, channelIds: string[]): void {
    for (const id of channelIds) this.sendChannel(ch, id);
  }

  onPresence(ch: ChatChannel, state: PresenceState): void {
    this.peerPresence.set(ch.peerId, state);
    this.deps.events.emit('chat.presence', { deviceId: ch.peerId, state });
  }

  serveAttachment(ch: ChatChannel, attachmentId: string, part: number, signal: AbortSignal): Promise<Buffer | null> {
    return this.deps.serveAttachment?.(ch.spaceId, ch.peerId, attachmentId, part, signal) ?? Promise.resolve(null);
  }

  onClose(ch: ChatChannel): void {
    const perSpace = this.channels.get(ch.peerId);
    if (perSpace?.get(ch.spaceId) === ch) perSpace.delete(ch.spaceId);
    if (perSpace?.size === 0) this.channels.delete(ch.peerId);
    this.peerLogIds.delete(ch);
    this.readable.delete(ch);
  }

  /** Open channels of a space, for fetching attachments. */
  openChannels(spaceId: string): ChatChannel[] {
    const out: ChatChannel[] = [];
    for (const perSpace of this.channels.values()) {
      const ch = perSpace.get(spaceId);
      if (ch?.opened) out.push(ch);
    }
    return out;
  }

  // ---- internals ----

  private logId(spaceId: string): string {
    return this.deps.store.chat.logId(spaceId, randomHex(16));
  }

  private requireReader(spaceId: string, channelId: string): void {
    if (!this.deps.spaces.state(spaceId).mayReadChannel(channelId, this.selfId)) {
      throw new ForbiddenError('You are not in this channel. Ask an admin of the space to add you.');
    }
  }

  private ownPost(spaceId: string, messageId: string): StoredChatMessage {
    const target = this.message(spaceId, messageId);
    if (target.kind !== 'post') throw new BadRequestError('Only a message itself can be edited or deleted.');
    if (target.author !== this.selfId) throw new ForbiddenError('You can edit and delete only your own messages.');
    this.requireReader(spaceId, target.channelId);
    const view = this.view(spaceId, target.channelId, target.id);
    if (view?.deleted) throw new AgoraError('CONFLICT', 'This message was deleted.');
    return target;
  }

  private write(spaceId: string, channelId: string, body: ChatBody): StoredChatMessage {
    const checked = chatBodySchema.safeParse(body);
    if (!checked.success) throw new BadRequestError(`This message cannot be sent: ${checked.error.issues[0]?.message ?? 'invalid'}.`);
    let bytes: Buffer;
    try {
      bytes = this.encode(spaceId, channelId, checked.data);
    } catch (err) {
      throw new BadRequestError(`This message cannot be sent: ${(err as Error).message}. Shorten it, or send the text as a file.`);
    }
    const signed = { bytes, sig: this.deps.spaces.sign(bytes) };
    const decoded = decodeChatMessage(signed);
    this.store(decoded, this.selfId);
    this.announce(spaceId);
    return this.deps.store.chat.get(decoded.id)!;
  }

  private encode(spaceId: string, channelId: string, body: ChatBody): Buffer {
    return encodeChatMessage({
      v: 1,
      space: spaceId,
      channel: channelId,
      author: this.selfId,
      lamport: this.deps.store.chat.maxLamport(spaceId, channelId) + 1,
      time: this.deps.clock.now(),
      nonce: randomBytes(16).toString('hex'),
      body,
    });
  }

  /** Checks and stores a message from a peer; true if it was new. */
  private ingest(spaceId: string, signed: SignedChatMessage, via: string): boolean {
    let decoded: DecodedChatMessage;
    try {
      decoded = decodeChatMessage(signed);
    } catch (err) {
      this.deps.logger.warn({ peer: via.slice(0, 12), err: (err as Error).message }, 'ignored a malformed chat message');
      return false;
    }
    if (this.deps.store.chat.has(decoded.id)) return false;
    const { content } = decoded;
    const state = this.deps.spaces.state(spaceId);
    const problem =
      content.space !== spaceId
        ? 'it belongs to another space'
        : !verify(signed.bytes, signed.sig, content.author)
          ? 'its signature does not match its author'
          : !state.mayHaveWritten(content.channel, content.author)
            ? 'its author may not write in that channel'
            : !state.mayReadChannel(content.channel, this.selfId)
              ? 'this device may not read that channel'
              : null;
    if (problem) {
      this.deps.logger.warn({ peer: via.slice(0, 12), author: content.author.slice(0, 12), problem }, 'ignored a chat message');
      return false;
    }
    return this.store(decoded, via);
  }

  private store(decoded: DecodedChatMessage, via: string): boolean {
    const { content } = decoded;
    const b = content.body;
    const newContact = directMembers(content.channel) !== null && this.deps.store.chat.maxLamport(content.space, content.channel) === 0;
    const seq = this.deps.store.chat.add({
      id: decoded.id,
      spaceId: content.space,
      channelId: content.channel,
      author: content.author,
      lamport: content.lamport,
      time: content.time,
      kind: b.type,
      target: b.type === 'post' ? null : b.target,
      attachments: b.type === 'post' ? b.attachments.map((a) => a.id) : [],
      bytes: decoded.bytes,
      sig: decoded.sig,
      via,
    });
    if (seq === null) return false;
    // Two members who now talk directly may learn each other's names: ask for them again.
    if (newContact) this.deps.events.emit('space.changed', { spaceId: content.space });
    this.deps.events.emit('chat.message', {
      spaceId: content.space,
      channelId: content.channel,
      messageId: b.type === 'post' ? decoded.id : b.target,
      kind: b.type,
      author: content.author,
    });
    if (b.type === 'post' && b.attachments.length > 0 && via !== this.selfId) this.deps.onAttachments?.(content.space, b.attachments);
    return true;
  }

  /** Sends every connected reader what it lacks of this space (coalesced within one tick). */
  private announce(spaceId: string): void {
    if (this.announceQueued.has(spaceId)) return;
    this.announceQueued.add(spaceId);
    queueMicrotask(() => {
      this.announceQueued.delete(spaceId);
      for (const ch of this.openChannels(spaceId)) this.push(ch);
    });
  }

  /** Sends the peer our messages past what it has, only those it may read (from when it may). */
  private push(ch: ChatChannel): void {
    if (!ch.opened || !this.deps.spaces.has(ch.spaceId)) return;
    const state = this.deps.spaces.state(ch.spaceId);
    for (;;) {
      const page = this.deps.store.chat.since(ch.spaceId, ch.sentSeq, MAX_CHAT_BATCH);
      if (page.length === 0) return;
      const items = page.filter((m) => m.via !== ch.peerId && deliverable(state, ch.peerId, m)).map((m) => ({ bytes: m.bytes, sig: m.sig }));
      ch.sentSeq = page.at(-1)!.seq;
      ch.sendBatch({ seq: ch.sentSeq, items });
    }
  }

  /** The whole of one channel that the peer may have, whatever it was sent before. */
  private sendChannel(ch: ChatChannel, channelId: string): void {
    const state = this.deps.spaces.state(ch.spaceId);
    if (!state.mayReadChannel(channelId, ch.peerId)) return;
    const all = this.deps.store.chat.channel(ch.spaceId, channelId).filter((m) => deliverable(state, ch.peerId, m));
    all.sort((a, b) => a.seq - b.seq);
    for (let i = 0; i < all.length; i += MAX_CHAT_BATCH) {
      ch.sendBatch({ seq: 0, items: all.slice(i, i + MAX_CHAT_BATCH).map((m) => ({ bytes: m.bytes, sig: m.sig })) });
    }
  }

  private readableNow(spaceId: string, memberId: string): Set<string> {
    if (!this.deps.spaces.has(spaceId)) return new Set();
    const state = this.deps.spaces.state(spaceId);
    return new Set([GENERAL_CHANNEL, ...state.channels.keys()].filter((id) => state.mayReadChannel(id, memberId)));
  }


  /**
   * The log changed: a peer that may now read more gets that history from us, and we ask
   * every peer for the history of channels we were just let into (whoever learns first).
   */
  private onSpaceChanged(spaceId: string): void {
    if (!this.deps.spaces.has(spaceId)) return;
    const mine = this.readableNow(spaceId, this.selfId);
    const before = this.ownReadable.get(spaceId) ?? new Set();
    this.ownReadable.set(spaceId, mine);
    const gained = [...mine].filter((id) => !before.has(id));
    for (const ch of this.openChannels(spaceId)) {
      ch.sendWant(gained);
      const theirs = this.readableNow(spaceId, ch.peerId);
      const had = this.readable.get(ch) ?? new Set();
      this.readable.set(ch, theirs);
      for (const id of theirs) if (!had.has(id)) this.sendChannel(ch, id);
    }
  }
}

/** Whether a peer may be given a message: it may read the channel, and the message is from its history. */
function deliverable(state: SpaceState, peer: string, m: Pick<StoredChatMessage, 'channelId' | 'time'>): boolean {
  const start = state.historyStart(m.channelId, peer);
  return start !== null && m.time >= start;
}


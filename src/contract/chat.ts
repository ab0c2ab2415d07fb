/**
 * The chat part of the local API's contract (re-exported by api.ts): channels, messages,
 * attachments and presence, under /api/v1/spaces/{space}/chat and /api/v1/chat.
 */

/** Who sees a channel's past: members added later see it from when they joined ('join'), or all of it ('full'). */
export type ChannelHistory = 'join' | 'full';
/** `general` (every member, no guest), an open channel, a private one (its member list), or a direct conversation. */
export type ChannelKind = 'general' | 'channel' | 'private' | 'direct';

/** GET /spaces/{space}/chat/channels: one conversation this device may read. */
export interface ChannelSummary {
  channelId: string;
  /** The channel's name, or `@Name` for a direct conversation. */
  name: string;
  kind: ChannelKind;
  /** How many members may read it. */
  members: number;
  memberIds: string[];
  /** Direct conversations: the other member's id; else null. */
  with: string | null;
  history: ChannelHistory;
  /** Posts by others since this device last read the channel. */
  unread: number;
  /** The author's clock of the last message, ms since epoch; null when there is none. */
  lastMessageAt: number | null;
}

/** POST /spaces/{space}/chat/channels (admins): private to `members` (and its creator) when any are named. */
export interface CreateChannelRequest {
  name: string;
  /** Member ids, id prefixes or unique names. */
  members?: string[];
  /** Default 'join'. */
  history?: ChannelHistory;
}

/** A file sent with a message. */
export interface AttachmentSummary {
  attachmentId: string;
  name: string;
  size: number;
  /** The file is on this device (else it is fetched from a peer when downloaded). */
  available: boolean;
}

/** One message as readers see it: a post with its latest edit applied, or the fact that it was deleted. */
export interface ChatMessage {
  messageId: string;
  spaceId: string;
  channelId: string;
  /** The channel's name, or `@Name` for a direct conversation. */
  channel: string;
  author: string;
  authorName: string;
  text: string;
  /** Members named with @Name in the text. */
  mentions: string[];
  /** This device's member is among the mentions. */
  mentionsMe: boolean;
  attachments: AttachmentSummary[];
  /** The author's clock, ms since epoch. */
  sentAt: number;
  /** When the author last edited or deleted it (author's clock, ms), or null. */
  editedAt: number | null;
  deleted: boolean;
}

/** POST /spaces/{space}/chat/attachments?name=FILE (raw body, streamed): the file as a message carries it. */
export interface AttachmentUpload {
  id: string;
  name: string;
  size: number;
}

/** POST /spaces/{space}/chat/messages: to a channel (name or id) or to one member (`to`), exactly one of them. */
export interface SendMessageRequest {
  channel?: string;
  /** A member id, id prefix or unique name: the direct conversation with that member. */
  to?: string;
  text: string;
  /** Files uploaded first with POST /spaces/{space}/chat/attachments, as that answered. */
  attachments?: AttachmentUpload[];
}

/** GET /spaces/{space}/chat/messages: one conversation (`channel` or `with`), oldest first. */
export interface ReadMessagesQuery {
  channel?: string;
  /** A member: the direct conversation with them. */
  with?: string;
  /** Only the messages after this one (an id or a prefix of at least 8 hex digits). */
  since?: string;
  /** Only the last `limit` messages. */
  limit?: number;
  /** Default true: the conversation counts as read. */
  markRead?: boolean;
}

/** PATCH /spaces/{space}/chat/messages/{message}: one's own messages only. */
export interface EditMessageRequest {
  text: string;
}

/** This device's own presence, as its peers are told (offline is what they see when it is not connected). */
export type OwnPresence = 'online' | 'away';

/** PUT /chat/presence; GET /chat/presence answers the same shape. */
export interface PresenceRequest {
  state: OwnPresence;
}

/** `chat.message` event data: a message was stored here. `messageId` is the post it shows as (an edit's or delete's target). */
export interface ChatMessageEvent {
  spaceId: string;
  channelId: string;
  messageId: string;
  kind: 'post' | 'edit' | 'delete';
  author: string;
}

/** `chat.presence` event data. */
export interface ChatPresenceEvent {
  deviceId: string;
  state: OwnPresence;
}

/** `chat.attachment` event data: an attachment's bytes are now on this device. */
export interface ChatAttachmentEvent {
  spaceId: string;
  attachmentId: string;
}

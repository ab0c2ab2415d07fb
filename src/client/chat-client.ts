import type {
  AttachmentUpload,
  ChannelSummary,
  ChatMessage,
  CreateChannelRequest,
  OwnPresence,
  PresenceRequest,
  ReadMessagesQuery,
  SendMessageRequest,
} from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { xhrUpload, type ProgressXhr } from './answer.js';

/** What the chat client needs of HttpApiClient: its address, its JSON requests and raw downloads. */
export interface ChatTransport {
  url(): string;
  authHeader(): Record<string, string>;
  request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, rawType?: string): Promise<T>;
  /** A GET whose answer is not JSON: the response when it is 2xx, else the node's error is thrown. */
  raw(path: string, signal?: AbortSignal): Promise<Response>;
}

/** A downloaded attachment: its bytes arrive as the body is read. */
export interface AttachmentDownload {
  name: string;
  size: number;
  body: ReadableStream<Uint8Array>;
}

/**
 * The chat routes of a node (reached as `client.chat`): channels, messages, attachments and
 * presence. `space` is a space id, id prefix or name; members are ids, id prefixes or names.
 */
export class ChatClient {
  constructor(private readonly t: ChatTransport) {}

  /** Conversations this device may read, with their unread counts. */
  channels(space: string, signal?: AbortSignal): Promise<ChannelSummary[]> {
    return this.t.request('GET', chatPath(space, 'channels'), undefined, signal);
  }

  /** Admins: an open channel, or a private one when `members` are named. */
  createChannel(space: string, body: CreateChannelRequest, signal?: AbortSignal): Promise<ChannelSummary> {
    return this.t.request('POST', chatPath(space, 'channels'), body, signal);
  }

  /** Admins: adds a member to a private channel (`channel` is its name or id), or takes one out. */
  setChannelMember(space: string, channel: string, member: string, inChannel: boolean, signal?: AbortSignal): Promise<ChannelSummary> {
    const path = chatPath(space, `channels/${encodeURIComponent(channel)}/members/${encodeURIComponent(member)}`);
    return this.t.request(inChannel ? 'PUT' : 'DELETE', path, undefined, signal);
  }

  /** To a channel (`channel`) or one member (`to`); attachments are what uploadAttachment answered. */
  send(space: string, body: SendMessageRequest, signal?: AbortSignal): Promise<ChatMessage> {
    return this.t.request('POST', chatPath(space, 'messages'), body, signal);
  }

  /** One conversation, oldest first; it counts as read unless `markRead` is false. */
  read(space: string, q: ReadMessagesQuery, signal?: AbortSignal): Promise<ChatMessage[]> {
    const params = { channel: q.channel, with: q.with, since: q.since, limit: q.limit?.toString(), markRead: q.markRead === false ? 'false' : undefined };
    return this.t.request('GET', chatPath(space, 'messages') + query(params), undefined, signal);
  }

  /** One message as it reads now, by its full id (as events give it); `channel` narrows the search. */
  message(space: string, messageId: string, channel?: string, signal?: AbortSignal): Promise<ChatMessage> {
    return this.t.request('GET', chatPath(space, `messages/${encodeURIComponent(messageId)}`) + query({ channel }), undefined, signal);
  }

  /** One's own message (id or prefix of 8+ hex digits). */
  edit(space: string, message: string, text: string, signal?: AbortSignal): Promise<ChatMessage> {
    return this.t.request('PATCH', chatPath(space, `messages/${encodeURIComponent(message)}`), { text }, signal);
  }

  /** One's own message; readers see that it was deleted. */
  remove(space: string, message: string, signal?: AbortSignal): Promise<ChatMessage> {
    return this.t.request('DELETE', chatPath(space, `messages/${encodeURIComponent(message)}`), undefined, signal);
  }

  /**
   * Streams a file to the node, to be sent with a message. `onProgress` gets the bytes sent so
   * far (browsers report it only through XMLHttpRequest, used when there is one).
   */
  uploadAttachment(space: string, name: string, body: Blob | ReadableStream<Uint8Array>, signal?: AbortSignal, onProgress?: (sent: number) => void): Promise<AttachmentUpload> {
    const target = chatPath(space, 'attachments') + query({ name });
    const Xhr = (globalThis as { XMLHttpRequest?: new () => ProgressXhr }).XMLHttpRequest;
    if (onProgress && Xhr && body instanceof Blob) return xhrUpload<AttachmentUpload>(Xhr, this.t.url() + target, this.t.authHeader(), body, onProgress, signal, 'POST');
    return this.t.request('POST', target, body, signal, 'application/octet-stream');
  }

  /** Where an attachment downloads from (a browser follows it with its cookie: a link, not a fetch). */
  attachmentUrl(space: string, attachmentId: string): string {
    return this.t.url() + chatPath(space, `attachments/${encodeURIComponent(attachmentId)}`);
  }

  /** The attachment's bytes as a stream (the node fetches it from peers first if it is not there yet). */
  async downloadAttachment(space: string, attachmentId: string, signal?: AbortSignal): Promise<AttachmentDownload> {
    const response = await this.t.raw(chatPath(space, `attachments/${encodeURIComponent(attachmentId)}`), signal);
    if (!response.body) throw new AgoraError('INTERNAL', 'The node answered the download without a body.');
    return { name: fileNameOf(response.headers.get('content-disposition')) ?? attachmentId, size: Number(response.headers.get('content-length') ?? 0), body: response.body };
  }

  presence(signal?: AbortSignal): Promise<PresenceRequest> {
    return this.t.request('GET', '/api/v1/chat/presence', undefined, signal);
  }

  /** What this device's peers see next to its name (offline when it is not connected). */
  setPresence(state: OwnPresence, signal?: AbortSignal): Promise<PresenceRequest> {
    return this.t.request('PUT', '/api/v1/chat/presence', { state }, signal);
  }
}

function chatPath(space: string, rest: string): string {
  return `/api/v1/spaces/${encodeURIComponent(space)}/chat/${rest}`;
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** The name in `attachment; filename*=UTF-8''…` (as the node sends it). */
export function fileNameOf(disposition: string | null): string | null {
  const m = /filename\*=UTF-8''([^;]+)/i.exec(disposition ?? '');
  if (!m) return null;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return null;
  }
}

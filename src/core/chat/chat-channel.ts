import type { Channel, Message } from 'protomux';
import { AbortedError, NotFoundError, TimeoutError } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import {
  attachmentRequest,
  attachmentResponse,
  CHAT_PROTOCOL,
  chatBatch,
  chatHello,
  chatPresence,
  chatWant,
  type AttachmentRequest,
  type AttachmentResponse,
  type ChatBatch,
  type ChatHello,
  type PresenceState,
} from '../../protocol/index.js';

/** What a chat channel asks of the chat service. */
export interface ChatChannelHandler {
  hello(peerId: string, spaceId: string): ChatHello;
  onOpen(channel: ChatChannel, hello: ChatHello): void;
  onBatch(channel: ChatChannel, batch: ChatBatch): void;
  onWant(channel: ChatChannel, channelIds: string[]): void;
  onPresence(channel: ChatChannel, state: PresenceState): void;
  /** The bytes of an attachment part for this peer, or null if it may not have them or we lack them. */
  serveAttachment(channel: ChatChannel, attachmentId: string, part: number, signal: AbortSignal): Promise<Buffer | null>;
  onClose(channel: ChatChannel): void;
}

const REQUEST_TIMEOUT_MS = 60_000;
const MAX_SERVING = 32;

interface Pending {
  resolve(data: Buffer | null): void;
  reject(err: Error): void;
}

/**
 * Channel `agora/chat/1` for one space on one connection. Moves messages and matches
 * attachment responses to requests; what to send and what to accept is the service's call.
 */
export class ChatChannel {
  readonly peerId: string;
  private readonly channel: Channel;
  private readonly batchMsg: Message<ChatBatch>;
  private readonly wantMsg: Message<string[]>;
  private readonly presenceMsg: Message<{ state: PresenceState }>;
  private readonly requestMsg: Message<AttachmentRequest>;
  private readonly responseMsg: Message<AttachmentResponse>;
  private readonly pending = new Map<number, Pending>();
  private readonly abort = new AbortController();
  private nextId = 1;
  private serving = 0;
  private isOpen = false;
  /** How far we have sent our store to this peer (our seq). */
  sentSeq = 0;

  constructor(
    readonly conn: PeerConnection,
    readonly spaceId: string,
    private readonly handler: ChatChannelHandler,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.peerId = conn.remoteId;
    const channel = conn.mux.createChannel<ChatHello>({
      protocol: CHAT_PROTOCOL,
      id: Buffer.from(spaceId, 'hex'),
      handshake: chatHello,
      onopen: (hello) => {
        this.isOpen = true;
        handler.onOpen(this, hello);
      },
      onclose: () => this.closed(),
    });
    if (!channel) throw new Error('chat channel already open');
    this.channel = channel;
    this.batchMsg = channel.addMessage({ encoding: chatBatch, onmessage: (m) => handler.onBatch(this, m) });
    this.wantMsg = channel.addMessage({ encoding: chatWant, onmessage: (m) => handler.onWant(this, m) });
    this.presenceMsg = channel.addMessage({ encoding: chatPresence, onmessage: (m) => handler.onPresence(this, m.state) });
    this.requestMsg = channel.addMessage({ encoding: attachmentRequest, onmessage: (m) => this.serve(m) });
    this.responseMsg = channel.addMessage({
      encoding: attachmentResponse,
      onmessage: (m) => this.settle(m.requestId, m.missing ? null : Buffer.from(m.data)),
    });
    channel.open(handler.hello(this.peerId, spaceId));
  }

  get opened(): boolean {
    return this.isOpen && !this.channel.closed;
  }

  sendBatch(batch: ChatBatch): void {
    if (this.opened) this.batchMsg.send(batch);
  }

  sendWant(channelIds: string[]): void {
    if (this.opened && channelIds.length > 0) this.wantMsg.send(channelIds);
  }

  sendPresence(state: PresenceState): void {
    if (this.opened) this.presenceMsg.send({ state });
  }

  /** One part of an attachment (0: its block list; n: block n - 1), or null if the peer has none to give. */
  requestAttachment(attachmentId: string, part: number, signal?: AbortSignal): Promise<Buffer | null> {
    if (!this.opened) return Promise.reject(new NotFoundError(`peer ${this.peerId.slice(0, 12)} is not connected`));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const requestId = this.nextId++;
    return new Promise<Buffer | null>((resolve, reject) => {
      const done = () => {
        timer.cancel();
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(requestId);
      };
      const timer = this.clock.setTimeout(() => {
        done();
        reject(new TimeoutError(`peer ${this.peerId.slice(0, 12)} did not answer an attachment request in time`));
      }, REQUEST_TIMEOUT_MS);
      const onAbort = () => {
        done();
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, {
        resolve: (data) => {
          done();
          resolve(data);
        },
        reject: (err) => {
          done();
          reject(err);
        },
      });
      this.requestMsg.send({ requestId, attachmentId, part });
    });
  }

  close(): void {
    this.channel.close();
  }

  private settle(requestId: number, data: Buffer | null): void {
    this.pending.get(requestId)?.resolve(data);
  }

  private serve(req: AttachmentRequest): void {
    if (this.serving >= MAX_SERVING) {
      this.responseMsg.send({ requestId: req.requestId, missing: true, data: Buffer.alloc(0) });
      return;
    }
    this.serving++;
    this.handler
      .serveAttachment(this, req.attachmentId, req.part, this.abort.signal)
      .catch((err: unknown) => {
        this.logger.warn({ err, peer: this.peerId.slice(0, 12) }, 'could not serve an attachment');
        return null;
      })
      .then((data) => {
        if (this.opened) this.responseMsg.send({ requestId: req.requestId, missing: data === null, data: data ?? Buffer.alloc(0) });
      })
      .finally(() => this.serving--);
  }

  private closed(): void {
    this.isOpen = false;
    this.abort.abort();
    for (const p of [...this.pending.values()]) p.reject(new NotFoundError(`peer ${this.peerId.slice(0, 12)} went away`));
    this.handler.onClose(this);
  }
}

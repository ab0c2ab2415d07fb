import type { Channel, Message } from 'protomux';
import { AbortedError, AgoraError, TimeoutError } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import {
  blockError,
  blockRequest,
  blockResponse,
  deflateIndex,
  folderOffers,
  indexDeflated,
  indexUpdate,
  SYNC_PROTOCOL,
  syncHello,
  type BlockError,
  type BlockErrorCode,
  type BlockRequest,
  type BlockResponse,
  type FolderOffer,
  type IndexUpdate,
  type SyncHello,
} from '../../protocol/index.js';

/** What a sync channel asks of the sync service. */
export interface SyncChannelHandler {
  /** Offers for the hello and for later updates: only folders this peer may read. */
  offers(peerId: string, spaceId: string): FolderOffer[];
  onOffers(channel: SyncChannel, offers: FolderOffer[]): void;
  onIndex(channel: SyncChannel, update: IndexUpdate): void;
  serveBlock(channel: SyncChannel, request: BlockRequest, signal: AbortSignal): Promise<Buffer>;
  onClose(channel: SyncChannel): void;
}

/** A block request the peer answered with an error code. */
export class BlockUnavailableError extends AgoraError {
  constructor(readonly reason: BlockErrorCode, peer: string) {
    super('NOT_FOUND', `peer ${peer.slice(0, 12)} could not serve the block (${reason})`);
    this.name = 'BlockUnavailableError';
  }
}

const REQUEST_TIMEOUT_MS = 60_000;
/** Requests a peer may have outstanding with us; more are answered BUSY. */
const MAX_SERVING = 64;

interface Pending {
  resolve(data: Buffer): void;
  reject(err: Error): void;
}

/**
 * Channel `agora/sync/1` for one space on one connection: folder offers, incremental index
 * updates, and block requests with their responses. Knows nothing of files: it moves
 * messages and matches responses to requests.
 */
export class SyncChannel {
  readonly peerId: string;
  private readonly channel: Channel;
  private readonly offersMsg: Message<SyncHello>;
  private readonly indexMsg: Message<IndexUpdate>;
  private readonly requestMsg: Message<BlockRequest>;
  private readonly responseMsg: Message<BlockResponse>;
  private readonly errorMsg: Message<BlockError>;
  private readonly indexDeflatedMsg: Message<IndexUpdate>;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private serving = 0;
  private readonly abort = new AbortController();
  private isOpen = false;

  constructor(
    readonly conn: PeerConnection,
    readonly spaceId: string,
    private readonly handler: SyncChannelHandler,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {
    this.peerId = conn.remoteId;
    const channel = conn.mux.createChannel<SyncHello>({
      protocol: SYNC_PROTOCOL,
      id: Buffer.from(spaceId, 'hex'),
      handshake: syncHello,
      onopen: (hello) => {
        this.isOpen = true;
        // Folders may have changed since the hello was built; offers sent before opening were dropped.
        this.sendOffers();
        handler.onOffers(this, hello.folders);
      },
      onclose: () => this.closed(),
    });
    if (!channel) throw new Error('sync channel already open');
    this.channel = channel;
    this.offersMsg = channel.addMessage({ encoding: folderOffers, onmessage: (m) => handler.onOffers(this, m.folders) });
    this.indexMsg = channel.addMessage({ encoding: indexUpdate, onmessage: (m) => handler.onIndex(this, m) });
    this.requestMsg = channel.addMessage({ encoding: blockRequest, onmessage: (m) => this.serve(m) });
    this.responseMsg = channel.addMessage({ encoding: blockResponse, onmessage: (m) => this.settle(m.requestId, m.data) });
    this.errorMsg = channel.addMessage({
      encoding: blockError,
      onmessage: (m) => this.settle(m.requestId, new BlockUnavailableError(m.code, this.peerId)),
    });
    this.indexDeflatedMsg = channel.addMessage({ encoding: indexDeflated, onmessage: (m) => handler.onIndex(this, m) });
    channel.open({ folders: handler.offers(this.peerId, spaceId) });
  }

  get opened(): boolean {
    return this.isOpen && !this.channel.closed;
  }

  sendOffers(): void {
    if (this.opened) this.offersMsg.send({ folders: this.handler.offers(this.peerId, this.spaceId) });
  }

  sendIndex(update: IndexUpdate): void {
    if (!this.opened) return;
    if (deflateIndex(update)) this.indexDeflatedMsg.send(update);
    else this.indexMsg.send(update);
  }

  /** Asks the peer for one block; resolves with the bytes as sent (the caller verifies them). */
  request(req: Omit<BlockRequest, 'requestId'>, signal?: AbortSignal): Promise<Buffer> {
    if (!this.opened) return Promise.reject(new BlockUnavailableError('ERROR', this.peerId));
    if (signal?.aborted) return Promise.reject(new AbortedError());
    const requestId = this.nextId++;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(requestId);
        reject(new TimeoutError(`peer ${this.peerId.slice(0, 12)} did not answer a block request in time`));
      }, REQUEST_TIMEOUT_MS);
      const onAbort = () => {
        this.pending.delete(requestId);
        timer.cancel();
        reject(new AbortedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(requestId, {
        resolve: (data) => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          resolve(data);
        },
        reject: (err) => {
          timer.cancel();
          signal?.removeEventListener('abort', onAbort);
          reject(err);
        },
      });
      this.requestMsg.send({ ...req, requestId });
    });
  }

  close(): void {
    this.channel.close();
  }

  private settle(requestId: number, result: Buffer | Error): void {
    const p = this.pending.get(requestId);
    if (!p) return; // timed out or cancelled meanwhile
    this.pending.delete(requestId);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  private serve(req: BlockRequest): void {
    if (this.serving >= MAX_SERVING) {
      this.errorMsg.send({ requestId: req.requestId, code: 'BUSY' });
      return;
    }
    this.serving++;
    this.handler
      .serveBlock(this, req, this.abort.signal)
      .then((data) => {
        if (this.opened) this.responseMsg.send({ requestId: req.requestId, data });
      })
      .catch((err: unknown) => {
        const code: BlockErrorCode = err instanceof AgoraError && (err.code === 'NOT_FOUND' || err.code === 'FORBIDDEN') ? err.code : 'ERROR';
        if (code === 'ERROR') this.logger.warn({ err, peer: this.peerId.slice(0, 12) }, 'could not serve a block');
        if (this.opened) this.errorMsg.send({ requestId: req.requestId, code });
      })
      .finally(() => this.serving--);
  }

  private closed(): void {
    this.isOpen = false;
    this.abort.abort();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new BlockUnavailableError('ERROR', this.peerId));
    }
    this.handler.onClose(this);
  }
}

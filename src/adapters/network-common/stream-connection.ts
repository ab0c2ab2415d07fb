import Protomux from 'protomux';
import { getStreamError, type Duplex } from 'streamx';
import type { PeerConnection, Transport } from '../../ports/network.js';
import type { Logger } from '../../ports/logger.js';

/** The framed streamx duplex under a connection: a Noise secret stream, or a memory stream. */
export type ConnectionStream = Duplex;

export interface ConnectionInfo {
  remoteId: string;
  initiator: boolean;
  transport: Transport;
  direct: boolean;
  /** A function when the address is only known once the transport has connected (udx after a hole punch). */
  remoteAddress: string | null | (() => string | null);
  /**
   * For paths that change while connected (udx: relayed until a hole punch upgrades it):
   * read on every access, overriding transport, direct and remoteAddress.
   */
  path?: () => { transport: Transport; direct: boolean; remoteAddress: string | null };
}

/**
 * A PeerConnection over one framed, authenticated duplex stream. The stream is the single
 * source of truth for "closed": whatever ends it (our close(), the remote, a keep-alive
 * timeout, the adapter shutting down) fires the close listeners exactly once.
 */
export class StreamPeerConnection implements PeerConnection {
  readonly remoteId: string;
  readonly initiator: boolean;
  readonly mux: Protomux;
  private readonly fixedTransport: Transport;
  private readonly fixedDirect: boolean;
  private readonly path: ConnectionInfo['path'];

  private isClosed = false;
  private closing = false;
  private reason: Error | null = null;
  private closeReason: Error | null = null;
  private readonly listeners: ((reason: Error | null) => void)[] = [];
  private address: string | null | (() => string | null);

  constructor(
    private readonly stream: ConnectionStream,
    info: ConnectionInfo,
    private readonly logger: Logger,
  ) {
    this.remoteId = info.remoteId;
    this.initiator = info.initiator;
    this.fixedTransport = info.transport;
    this.fixedDirect = info.direct;
    this.path = info.path;
    this.address = info.remoteAddress;
    // Stream errors end in 'close'; the listener only keeps them from becoming uncaught.
    stream.on('error', (err: unknown) => this.logger.debug({ err, peer: this.remoteId }, 'connection error'));
    stream.on('close', () => this.onStreamClose());
    this.mux = Protomux.from(stream);
    if (stream.destroyed) this.onStreamClose();
  }

  get transport(): Transport {
    return this.path?.().transport ?? this.fixedTransport;
  }

  get direct(): boolean {
    return this.path?.().direct ?? this.fixedDirect;
  }

  get remoteAddress(): string | null {
    if (this.path) return this.path().remoteAddress;
    if (typeof this.address !== 'function') return this.address;
    const address = this.address();
    if (address !== null) this.address = address;
    return address;
  }

  /** True from the moment close() is called: the connection is no longer to be used. */
  get closed(): boolean {
    return this.isClosed || this.closing;
  }

  close(reason?: Error): void {
    if (this.isClosed || this.closing) return;
    this.closing = true;
    this.closeReason = reason ?? null;
    this.stream.destroy(reason ?? null);
  }

  onClose(listener: (reason: Error | null) => void): void {
    if (this.isClosed) {
      queueMicrotask(() => this.call(listener));
      return;
    }
    this.listeners.push(listener);
  }

  private onStreamClose(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.reason = this.closeReason ?? getStreamError(this.stream) ?? null;
    const listeners = this.listeners.splice(0);
    for (const listener of listeners) this.call(listener);
  }

  private call(listener: (reason: Error | null) => void): void {
    try {
      listener(this.reason);
    } catch (err) {
      this.logger.error({ err, peer: this.remoteId }, 'connection close listener threw');
    }
  }
}

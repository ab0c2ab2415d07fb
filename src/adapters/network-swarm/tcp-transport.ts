import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { getStreamError } from 'streamx';
import { PeerUnreachableError } from '../../errors/index.js';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';
import { shortId, toDeviceId } from '../network-common/ids.js';
import { formatHostPort, plainHost, type HostPort } from './addresses.js';
import { keepAlive, secureSocket, type Liveness } from './secure-stream.js';

/**
 * First message of the acceptor after its firewall admitted the dialer. In Noise XX the
 * dialer finishes the handshake before the acceptor even learns who it is, so without this
 * a refused dialer would briefly hold what looks like a working connection.
 */
const ACCEPT = Buffer.from('agora-accept/1');

export interface TcpTransportOptions {
  keyPair: KeyPair;
  listen: HostPort;
  liveness: Liveness;
  handshakeTimeoutMs: number;
  logger: Logger;
  /** The firewall: true lets the remote device in. */
  admit(remoteId: string): boolean;
  /** An inbound connection passed the handshake and the firewall. */
  onAccepted(stream: NoiseSecretStream, remoteId: string, remoteAddress: string | null): void;
}

/** The fast path: Noise over plain TCP, checked against the same device keys as the DHT. */
export class TcpTransport {
  private server: Server | null = null;
  private closed = false;
  /** Streams still in handshake, in either direction; close() must not leave them behind. */
  private readonly pending = new Set<NoiseSecretStream>();

  constructor(private readonly options: TcpTransportOptions) {}

  async listen(): Promise<void> {
    const server = createServer((socket) => this.onSocket(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.listen.port, this.options.listen.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (err) => this.options.logger.warn({ err }, 'tcp listener error'));
    // close() ran while we were binding and found nothing to close yet.
    if (this.closed) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The bound address, once listening. */
  address(): HostPort | null {
    const address = this.server?.address();
    if (address === null || address === undefined || typeof address === 'string') return null;
    return { host: address.address, port: address.port };
  }

  /** Opens a Noise stream to host:port that is known to end at device `remoteId`. */
  async dial(remoteId: string, target: HostPort, signal: AbortSignal): Promise<NoiseSecretStream> {
    if (this.closed) throw new PeerUnreachableError('The network is closed.');
    const socket = connect({ host: target.host, port: target.port });
    const stream = this.secure(socket, true);
    const onAbort = (): void => stream.destroy();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      if (!(await stream.opened)) throw failure(stream, 'closed during the handshake');
      const actual = toDeviceId(stream.remotePublicKey ?? Buffer.alloc(0));
      if (actual !== remoteId) {
        throw new PeerUnreachableError(`device ${shortId(actual)} answered, not ${shortId(remoteId)}`);
      }
      await acceptance(stream);
      if (this.closed) throw new PeerUnreachableError('The network is closed.');
      this.handOver(stream);
      return stream;
    } catch (err) {
      stream.destroy();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Stops accepting, drops handshakes in progress; admitted connections are the caller's. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const stream of this.pending) stream.destroy();
    const server = this.server;
    if (server === null) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private onSocket(socket: Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const { remoteAddress, remotePort } = socket;
    const known = remoteAddress !== undefined && remotePort !== undefined;
    const address = known ? formatHostPort(plainHost(remoteAddress), remotePort) : null;
    const stream = this.secure(socket, false);
    stream.opened
      .then((opened) => {
        if (opened) this.admitInbound(stream, address);
      })
      .catch((err: unknown) => {
        this.options.logger.error({ err }, 'tcp: accepting a connection failed');
        stream.destroy();
      });
  }

  /** The handshake told us who knocks: the firewall decides before anything else happens. */
  private admitInbound(stream: NoiseSecretStream, address: string | null): void {
    const remoteId = toDeviceId(stream.remotePublicKey ?? Buffer.alloc(0));
    if (this.closed || !this.options.admit(remoteId)) {
      this.options.logger.debug({ peer: remoteId, address }, 'tcp: refused by the firewall');
      stream.destroy();
      return;
    }
    stream.write(ACCEPT);
    this.handOver(stream);
    this.options.onAccepted(stream, remoteId, address);
  }

  /** Wraps a socket in Noise and keeps it in `pending` until handed over or closed. */
  private secure(socket: Socket, initiator: boolean): NoiseSecretStream {
    const { keyPair, liveness, handshakeTimeoutMs, logger } = this.options;
    const stream = secureSocket(socket, initiator, keyPair, liveness, handshakeTimeoutMs, logger);
    this.pending.add(stream);
    stream.on('close', () => this.pending.delete(stream));
    return stream;
  }

  private handOver(stream: NoiseSecretStream): void {
    this.pending.delete(stream);
    keepAlive(stream, this.options.liveness);
  }
}

function failure(stream: NoiseSecretStream, fallback: string): PeerUnreachableError {
  const cause = getStreamError(stream);
  return new PeerUnreachableError(cause?.message ?? fallback, cause ?? undefined);
}

/**
 * Waits for the acceptor's ACCEPT message. The stream is paused right after it, so that
 * whatever follows stays buffered until protomux attaches its own 'data' listener.
 */
function acceptance(stream: NoiseSecretStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (data: unknown): void => {
      stream.pause();
      cleanup();
      if (Buffer.isBuffer(data) && data.equals(ACCEPT)) resolve();
      else reject(new PeerUnreachableError('the remote does not speak the Agora TCP protocol'));
    };
    const onClose = (): void => {
      cleanup();
      reject(failure(stream, 'refused (closed before accepting)'));
    };
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('close', onClose);
    };
    stream.on('data', onData);
    stream.on('close', onClose);
  });
}

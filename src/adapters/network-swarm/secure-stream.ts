import NoiseSecretStream from '@hyperswarm/secret-stream';
import type { Socket } from 'node:net';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';

/**
 * Liveness settings shared by TCP and DHT connections. Each side sends an empty Noise message
 * when it has written nothing for `keepAliveMs`, so a stream that hears nothing for `idleMs`
 * belongs to a peer that crashed or lost its network: it is destroyed and onClose fires.
 */
export interface Liveness {
  keepAliveMs: number;
  idleMs: number;
}

/** Wraps a TCP socket in Noise (XX): after the handshake both sides know each other's key. */
export function secureSocket(
  socket: Socket,
  initiator: boolean,
  keyPair: KeyPair,
  liveness: Liveness,
  handshakeTimeoutMs: number,
  logger: Logger,
): NoiseSecretStream {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, liveness.keepAliveMs);
  const stream = new NoiseSecretStream(initiator, socket, { keyPair, keepAlive: liveness.keepAliveMs });
  // Until the peer is admitted, a silent socket is only holding a slot: cut it off sooner.
  stream.setTimeout(handshakeTimeoutMs);
  stream.on('error', (err: unknown) => logger.debug({ err }, 'tcp stream error'));
  return stream;
}

/** From handshake to connection: the stream now lives as long as the peer keeps talking. */
export function keepAlive(stream: NoiseSecretStream, liveness: Liveness): void {
  stream.setKeepAlive(liveness.keepAliveMs);
  stream.setTimeout(liveness.idleMs);
}

import c from 'compact-encoding';
import crypto from 'hypercore-crypto';
import type { DhtStatus, NetworkPort, PeerConnection } from '../../src/ports/network.js';

/** Resolves when `condition` holds, checking after every event-loop turn; rejects after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Rejects if `promise` has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${timeoutMs} ms.`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Every connection and DHT status a network reports, in order. */
export class NetworkLog {
  readonly connections: PeerConnection[] = [];
  readonly statuses: DhtStatus[] = [];

  constructor(network: NetworkPort) {
    network.onConnection((conn) => this.connections.push(conn));
    network.onDhtStatus((status) => this.statuses.push(status));
  }

  async connectionFrom(remoteId: string, what = `a connection from ${remoteId.slice(0, 8)}`): Promise<PeerConnection> {
    await waitFor(() => this.connections.some((conn) => conn.remoteId === remoteId && !conn.closed), what);
    const found = this.connections.find((conn) => conn.remoteId === remoteId && !conn.closed);
    if (found === undefined) throw new Error(`lost ${what}`);
    return found;
  }
}

/** A fresh device id nobody on the test network has. */
export function strangerId(): string {
  return crypto.keyPair().publicKey.toString('hex');
}

export function keyPair(): { publicKey: Buffer; secretKey: Buffer } {
  return crypto.keyPair();
}

/** Resolves with the reason once the connection has closed. */
export function closed(conn: PeerConnection): Promise<Error | null> {
  return new Promise((resolve) => conn.onClose(resolve));
}

/**
 * Opens a string-message protomux channel on a connection; `received` collects what the other
 * side sends, `opened` resolves once both sides opened the same protocol.
 */
export function testChannel(conn: PeerConnection, protocol = 'agora-test/1') {
  const received: string[] = [];
  let onOpen: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    onOpen = resolve;
  });
  const channel = conn.mux.createChannel({
    protocol,
    onopen: () => onOpen(),
  });
  if (channel === null) throw new Error(`channel ${protocol} already open`);
  const message = channel.addMessage({ encoding: c.string, onmessage: (text) => void received.push(text) });
  channel.open();
  return { channel, received, opened, send: (text: string) => message.send(text) };
}

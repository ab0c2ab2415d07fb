import { createHash } from 'node:crypto';
import { Server as BlindRelayServer } from 'blind-relay';
import HyperDHT, { type DhtKeyPair, type DhtServer } from 'hyperdht';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';

/**
 * The blind relay a keeper runs for the members of its spaces: two members that no hole
 * punch can join (both behind symmetric NATs) each open a stream to it and it pairs them.
 * It forwards encrypted UDX packets it cannot read: the Noise session is end to end, with
 * the members' own keys, so a relayed connection is as private as a direct one.
 *
 * It listens on its own key (derived from the device key), so that a relay session is never
 * mistaken for the keeper's own member connection to the same device.
 *
 * Who may use it: whoever knows its key, which only the space log and invites carry. A joiner
 * is not a member yet when it needs the relay to reach its inviter, so membership cannot be
 * the test; pairing needs both ends to present the same token, so the relay cannot be used to
 * reach a device that did not agree to the connection (whose own firewall still decides).
 */
export class KeeperRelay {
  readonly keyPair: DhtKeyPair;
  private readonly relay: BlindRelayServer;
  private server: DhtServer | null = null;

  constructor(
    private readonly dht: HyperDHT,
    deviceKeyPair: KeyPair,
    private readonly logger: Logger,
  ) {
    this.keyPair = relayKeyPair(deviceKeyPair);
    this.relay = new BlindRelayServer({
      createStream: (options) => dht.createRawStream({ ...options, framed: true }),
    });
  }

  get publicKey(): string {
    return this.keyPair.publicKey.toString('hex');
  }

  async start(): Promise<void> {
    const server = this.dht.createServer({}, (socket) => {
      socket.on('error', (err: unknown) => this.logger.debug({ err }, 'relay: session error'));
      // A session's error (a member vanished mid-relay) is its own end, never the keeper's.
      const session = this.relay.accept(socket, { id: socket.remotePublicKey ?? undefined });
      session.on('error', (err: unknown) => this.logger.debug({ err }, 'relay: session ended'));
    });
    this.server = server;
    await server.listen(this.keyPair);
    this.logger.info({ relay: this.publicKey.slice(0, 12) }, 'relay listening');
  }

  stats(): { sessions: number; pairings: number } {
    return { sessions: this.relay.stats.sessions.active, pairings: this.relay.stats.pairings.active };
  }

  async close(): Promise<void> {
    await this.relay.close().catch((err: unknown) => this.logger.debug({ err }, 'relay: close'));
    await this.server?.close().catch((err: unknown) => this.logger.debug({ err }, 'relay: close'));
  }
}

/** The relay's key pair: fixed for a device (members find it in the log), distinct from its identity. */
export function relayKeyPair(device: KeyPair): DhtKeyPair {
  const seed = createHash('sha256').update('agora-relay/1').update(device.secretKey).digest();
  return HyperDHT.keyPair(seed);
}

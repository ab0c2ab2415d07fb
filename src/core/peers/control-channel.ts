import type { Channel, Message } from 'protomux';
import { addressBook, controlHello, controlUpdate, ping, pong, PROTOCOLS, type AddressBookEntry, type ControlHello, type Ping } from '../../protocol/index.js';
import type { Clock, TimerHandle } from '../../ports/clock.js';
import type { PeerConnection } from '../../ports/network.js';

export const PING_INTERVAL_MS = 5_000;
/** A peer silent this long is gone (crash, cable pulled), even if TCP has not noticed. */
export const SILENCE_LIMIT_MS = 15_000;

export interface ControlEvents {
  onHello(hello: ControlHello): void;
  onUpdate(hello: ControlHello): void;
  onRtt(ms: number): void;
  onAddressBook(entries: AddressBookEntry[]): void;
  onClose(): void;
}

/**
 * Channel `agora/control/1`: who the peer says it is (display name, direct addresses),
 * round-trip time, and liveness. The connection closes when the peer stays silent.
 */
export class ControlChannel {
  private readonly channel: Channel;
  private readonly ping: Message<Ping>;
  private readonly pong: Message<Ping>;
  private readonly update: Message<ControlHello>;
  private readonly book: Message<AddressBookEntry[]>;
  private lastHeard: number;
  private timer: TimerHandle | null = null;
  private nonce = 0;
  private readonly sent = new Map<number, number>();
  private isOpen = false;

  constructor(
    private readonly conn: PeerConnection,
    hello: ControlHello,
    private readonly clock: Clock,
    events: ControlEvents,
  ) {
    this.lastHeard = clock.now();
    const channel = conn.mux.createChannel<ControlHello>({
      protocol: PROTOCOLS.control,
      handshake: controlHello,
      onopen: (remote) => {
        // protomux marks the channel opened only after onopen returns; sends from onHello must go out.
        this.isOpen = true;
        this.heard();
        events.onHello(remote);
        this.tick();
      },
      onclose: () => {
        this.timer?.cancel();
        events.onClose();
      },
    });
    if (!channel) throw new Error('control channel already open');
    this.channel = channel;
    this.ping = channel.addMessage({
      encoding: ping,
      onmessage: (m) => {
        this.heard();
        this.pong.send(m);
      },
    });
    this.pong = channel.addMessage({
      encoding: pong,
      onmessage: (m) => {
        this.heard();
        const at = this.sent.get(m.nonce);
        this.sent.delete(m.nonce);
        if (at !== undefined) events.onRtt(this.clock.now() - at);
      },
    });
    this.update = channel.addMessage({
      encoding: controlUpdate,
      onmessage: (m) => {
        this.heard();
        events.onUpdate(m);
      },
    });
    this.book = channel.addMessage({
      encoding: addressBook,
      onmessage: (m) => {
        this.heard();
        events.onAddressBook(m);
      },
    });
    channel.open(hello);
  }

  get opened(): boolean {
    return this.isOpen && !this.channel.closed;
  }

  sendUpdate(hello: ControlHello): void {
    if (this.opened) this.update.send(hello);
  }

  sendAddressBook(entries: AddressBookEntry[]): void {
    if (this.opened && entries.length > 0) this.book.send(entries.slice(0, 256));
  }

  close(): void {
    this.timer?.cancel();
    this.channel.close();
  }

  private heard(): void {
    this.lastHeard = this.clock.now();
  }

  private tick(): void {
    if (this.conn.closed) return;
    if (this.clock.now() - this.lastHeard > SILENCE_LIMIT_MS) {
      this.conn.close(new Error('peer stopped answering'));
      return;
    }
    const nonce = ++this.nonce;
    this.sent.set(nonce, this.clock.now());
    if (this.sent.size > 8) this.sent.delete(this.sent.keys().next().value!);
    this.ping.send({ nonce });
    this.timer = this.clock.setTimeout(() => this.tick(), PING_INTERVAL_MS);
  }
}

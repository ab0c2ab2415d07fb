import type { Channel, Message } from 'protomux';
import {
  entryList,
  idList,
  logHandshake,
  MAX_IDS_PER_MESSAGE,
  MAX_NAMES_PER_MESSAGE,
  nameList,
  PROTOCOLS,
  stubList,
  type LogHandshake,
  type LogStub,
  type NameDisclosure,
  type SignedEntry,
} from '../../protocol/index.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import type { SpaceService } from './space-service.js';

/**
 * Keeps one space's log in step with one peer over channel `agora/log/3` (id = space id):
 * each side says which entries are its heads; the other asks for the ones it lacks and,
 * while parents are missing, for those too. New local entries are announced as new heads.
 * Names travel apart from the entries: each side asks for the names behind the log's
 * commitments that it may know, and answers only with names the asker may know.
 * A guest gets only its part of the log; the rest as stubs (see guest-view.ts). It asks again
 * for the entries behind its stubs whenever it takes in a new entry, since a grant may let it see more.
 */
export class LogSyncChannel {
  private readonly channel: Channel;
  private readonly heads: Message<string[]>;
  private readonly want: Message<string[]>;
  private readonly entries: Message<SignedEntry[]>;
  private readonly wantNames: Message<string[]>;
  private readonly names: Message<NameDisclosure[]>;
  private readonly stubs: Message<LogStub[]>;
  private isOpen = false;
  /** Commitments already asked of this peer since our heads last changed. */
  private asked = new Set<string>();
  private askedAtHeads = '';
  /** How many entries we held when we last asked this peer for the entries behind our stubs. */
  private stubsAskedAtEntries = '';

  constructor(
    private readonly conn: PeerConnection,
    private readonly spaceId: string,
    private readonly spaces: SpaceService,
    private readonly logger: Logger,
    onClose: () => void,
  ) {
    const channel = conn.mux.createChannel<LogHandshake>({
      protocol: PROTOCOLS.log,
      id: Buffer.from(spaceId, 'hex'),
      handshake: logHandshake,
      onopen: (hs) => {
        // protomux marks the channel opened only after onopen returns.
        this.isOpen = true;
        this.onHeads(hs.heads);
        // Entries added between creating the channel and the peer opening it were not announced.
        this.announce();
      },
      onclose: () => onClose(),
    });
    if (!channel) throw new Error('log channel already open');
    this.channel = channel;
    this.heads = channel.addMessage({ encoding: idList, onmessage: (ids) => this.onHeads(ids) });
    this.want = channel.addMessage({ encoding: idList, onmessage: (ids) => this.onWant(ids) });
    this.entries = channel.addMessage({ encoding: entryList, onmessage: (list) => this.onEntries(list) });
    this.wantNames = channel.addMessage({ encoding: idList, onmessage: (hashes) => this.onWantNames(hashes) });
    this.names = channel.addMessage({ encoding: nameList, onmessage: (list) => void this.spaces.learnNames(this.spaceId, list) });
    this.stubs = channel.addMessage({ encoding: stubList, onmessage: (list) => this.onEntries([], list) });
    channel.open({ heads: spaces.heads(spaceId) });
  }

  announce(): void {
    if (!this.isOpen || this.channel.closed) return;
    const heads = this.spaces.heads(this.spaceId);
    this.heads.send(heads);
    this.askNames(heads.join(','));
    this.askBehindStubs();
  }

  /**
   * A guest: asks for the entries behind its stubs once per peer, and again whenever it took in
   * a new entry (a grant may let it see more; a new stub changes nothing it may see).
   */
  private askBehindStubs(): void {
    const key = String(this.spaces.entries(this.spaceId).length);
    if (key === this.stubsAskedAtEntries) return;
    this.stubsAskedAtEntries = key;
    const ids = this.spaces.stubIds(this.spaceId);
    for (let i = 0; i < ids.length; i += MAX_IDS_PER_MESSAGE) this.want.send(ids.slice(i, i + MAX_IDS_PER_MESSAGE));
  }

  /** Asks for the names we may know and lack; again after the log changed (access may have grown). */
  private askNames(headsKey: string): void {
    if (headsKey !== this.askedAtHeads) {
      this.asked = new Set();
      this.askedAtHeads = headsKey;
    }
    const ask = this.spaces.missingNames(this.spaceId).filter((h) => !this.asked.has(h));
    for (const h of ask) this.asked.add(h);
    for (let i = 0; i < ask.length; i += MAX_IDS_PER_MESSAGE) this.wantNames.send(ask.slice(i, i + MAX_IDS_PER_MESSAGE));
  }

  private onWantNames(hashes: string[]): void {
    // Only names the log lets this peer know, whatever it asks for.
    const answer = this.spaces.namesFor(this.spaceId, this.conn.remoteId, hashes);
    for (let i = 0; i < answer.length; i += MAX_NAMES_PER_MESSAGE) this.names.send(answer.slice(i, i + MAX_NAMES_PER_MESSAGE));
  }

  close(): void {
    this.channel.close();
  }

  /** Sends every entry the peer lacks, unasked (before the channel closes for good). */
  pushMissing(): void {
    if (this.isOpen && !this.channel.closed) this.onWant(this.spaces.heads(this.spaceId));
  }

  /** Heads the peer told us it has: it has their whole ancestry too. */
  private peerHeads: string[] = [];

  private onHeads(ids: string[]): void {
    this.peerHeads = ids;
    const unknown = ids.filter((id) => !this.spaces.knows(this.spaceId, id));
    if (unknown.length > 0) this.want.send(unknown);
  }

  private onWant(ids: string[]): void {
    // Send what was asked for (even what the peer holds only as a stub) plus every ancestor
    // the peer lacks (all but the ancestry of its heads), parents first, so one round trip
    // usually completes the log. A guest gets stubs for what it may not see.
    const peerHas = this.closure(this.peerHeads, new Set());
    const needed = this.closure(ids, peerHas);
    for (const id of ids) if (this.spaces.entry(this.spaceId, id)) needed.add(id);
    for (const batch of this.spaces.logFor(this.spaceId, this.conn.remoteId, needed)) {
      if ('entries' in batch) this.entries.send(batch.entries);
      else this.stubs.send(batch.stubs);
    }
  }

  private closure(start: string[], stopAt: Set<string>): Set<string> {
    const seen = new Set<string>();
    const stack = [...start];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id) || stopAt.has(id)) continue;
      const parents = this.spaces.parentsOf(this.spaceId, id);
      if (!parents) continue;
      seen.add(id);
      stack.push(...parents);
    }
    return seen;
  }

  private onEntries(list: SignedEntry[], stubs: LogStub[] = []): void {
    try {
      const { missing } = this.spaces.ingest(this.spaceId, list, stubs);
      if (missing.length > 0) this.want.send(missing);
    } catch (err) {
      // A peer that sends forged or malformed entries is misbehaving: drop the connection.
      this.logger.warn({ err, peer: this.conn.remoteId, spaceId: this.spaceId }, 'refused log entries from peer');
      this.conn.close(err as Error);
    }
  }
}

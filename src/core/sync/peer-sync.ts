import { NotFoundError } from '../../errors/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import type { FolderRecord, Store } from '../../ports/store.js';
import { ECHO_SIG_BYTES, recordSigningBytes, type BlockRequest, type FileRecord, type FolderOffer, type IndexUpdate, type RecordEcho } from '../../protocol/index.js';
import { verify } from '../crypto.js';
import type { EventBus } from '../events.js';
import type { SpaceState } from '../spaces/space-state.js';
import { mayRead, mayWrite } from './access.js';
import type { FolderSync } from './folder-sync.js';
import { recordProblem } from './record-check.js';
import { SyncChannel, type SyncChannelHandler } from './sync-channel.js';

export interface RunningFolder {
  record: FolderRecord;
  sync: FolderSync;
}

export interface FolderHost {
  running(folderId: string): RunningFolder | undefined;
  runningInSpace(spaceId: string): RunningFolder[];
  spaceState(spaceId: string): SpaceState;
}

/** What one channel knows of one shared folder. */
interface SharedFolder {
  /** Our sequence the peer has (everything up to it was sent). */
  sentSequence: number;
  /** The peer said it sent its whole index. */
  upToDate: boolean;
}

const RECORDS_PER_MESSAGE = 1000;
/** Keeps an index message near 1 MiB when files have many blocks. */
const BLOCKS_PER_MESSAGE = 24_000;
const ZERO_INDEX = '0'.repeat(32);

/**
 * The sync protocol with every connected peer: one SyncChannel per peer and space, folder
 * offers limited to what the peer may read, incremental index exchange both ways, and
 * block serving. Records from peers are checked before they reach the index.
 */
export class PeerSync implements SyncChannelHandler {
  private readonly channels = new Map<string, Map<string, SyncChannel>>();
  private readonly shared = new Map<SyncChannel, Map<string, SharedFolder>>();
  /** The peer's latest offers, kept so that a folder we start later can pick them up. */
  private readonly peerOffers = new Map<SyncChannel, FolderOffer[]>();
  private announceQueued = new Set<string>();

  constructor(
    private readonly deps: { host: FolderHost; store: Store; clock: Clock; logger: Logger; events: EventBus; selfId: string; corruptServedBlocks: boolean },
  ) {}

  /** Opens channels for the spaces this connection shares, closes the others. */
  attach(conn: PeerConnection, spaceIds: readonly string[]): void {
    let perSpace = this.channels.get(conn.remoteId);
    if (perSpace && [...perSpace.values()].some((c) => c.conn !== conn)) {
      for (const c of perSpace.values()) c.close();
      perSpace = undefined;
    }
    if (!perSpace) this.channels.set(conn.remoteId, (perSpace = new Map()));
    for (const [spaceId, ch] of perSpace) if (!spaceIds.includes(spaceId)) ch.close();
    for (const spaceId of spaceIds) {
      if (perSpace.has(spaceId)) continue;
      const ch = new SyncChannel(conn, spaceId, this, this.deps.clock, this.deps.logger);
      perSpace.set(spaceId, ch);
    }
  }

  /** The folders of a space changed (added, paused, access): tell every peer of the space. */
  refreshOffers(spaceId: string): void {
    for (const perSpace of this.channels.values()) {
      const ch = perSpace.get(spaceId);
      if (!ch?.opened) continue;
      ch.sendOffers();
      // Our folders changed: the peer's offers may now match folders we did not run before.
      this.onOffers(ch, this.peerOffers.get(ch) ?? []);
    }
  }

  /** Open channels that share this folder. */
  channelsFor(folderId: string): SyncChannel[] {
    const out: SyncChannel[] = [];
    for (const [ch, folders] of this.shared) if (ch.opened && folders.has(folderId)) out.push(ch);
    return out;
  }

  connectedPeers(folderId: string): { deviceId: string; upToDate: boolean }[] {
    const out: { deviceId: string; upToDate: boolean }[] = [];
    for (const [ch, folders] of this.shared) {
      const f = folders.get(folderId);
      if (ch.opened && f) out.push({ deviceId: ch.peerId, upToDate: f.upToDate });
    }
    return out;
  }

  /** Our index of the folder changed: send the new records (coalesced within one tick). */
  announce(folderId: string): void {
    if (this.announceQueued.has(folderId)) return;
    this.announceQueued.add(folderId);
    queueMicrotask(() => {
      this.announceQueued.delete(folderId);
      for (const ch of this.channelsFor(folderId)) this.sendIndex(ch, folderId);
    });
  }

  // ---- SyncChannelHandler ----

  offers(peerId: string, spaceId: string): FolderOffer[] {
    const state = this.deps.host.spaceState(spaceId);
    return this.deps.host
      .runningInSpace(spaceId)
      .filter((f) => mayRead(state, f.record.folderId, peerId))
      .map((f) => {
        const have = this.deps.store.index.remoteState(f.record.folderId, peerId);
        return {
          folderId: f.record.folderId,
          indexId: f.record.indexId,
          maxSequence: this.deps.store.index.localSequence(f.record.folderId),
          haveIndexId: have?.indexId ?? ZERO_INDEX,
          haveSequence: have?.maxSequence ?? 0,
        };
      });
  }

  onOffers(channel: SyncChannel, offers: FolderOffer[]): void {
    this.peerOffers.set(channel, offers);
    const state = this.deps.host.spaceState(channel.spaceId);
    const previous = this.shared.get(channel) ?? new Map<string, SharedFolder>();
    const next = new Map<string, SharedFolder>();
    for (const offer of offers) {
      const folder = this.deps.host.running(offer.folderId);
      if (!folder || folder.record.spaceId !== channel.spaceId || !mayRead(state, offer.folderId, channel.peerId)) continue;
      const known = this.deps.store.index.remoteState(offer.folderId, channel.peerId);
      if (known && known.indexId !== offer.indexId) {
        // The peer's index was reset: what we hold of it no longer means anything.
        this.deps.store.index.dropRemote(offer.folderId, channel.peerId);
        folder.sync.remoteReset();
      }
      const resume = offer.haveIndexId === folder.record.indexId ? offer.haveSequence : 0;
      const old = previous.get(offer.folderId);
      next.set(offer.folderId, { sentSequence: old ? old.sentSequence : resume, upToDate: old?.upToDate ?? false });
    }
    this.shared.set(channel, next);
    for (const folderId of next.keys()) {
      if (previous.has(folderId)) continue;
      this.sendIndex(channel, folderId, true);
      this.deps.host.running(folderId)?.sync.kick();
    }
  }

  onIndex(channel: SyncChannel, update: IndexUpdate): void {
    const shared = this.shared.get(channel)?.get(update.folderId);
    const folder = this.deps.host.running(update.folderId);
    if (!shared || !folder) return;
    const peer = channel.peerId;
    const known = this.deps.store.index.remoteState(update.folderId, peer);
    if (known && known.indexId !== update.indexId) {
      this.deps.store.index.dropRemote(update.folderId, peer);
      folder.sync.remoteReset();
    }
    const accepted: FileRecord[] = [];
    /** Relayed records: their author's signature was checked above, or they are our own. */
    const checked = new Set<FileRecord>();
    let lastSeq = known && known.indexId === update.indexId ? known.maxSequence : 0;
    for (const item of inSequence(update.records, update.echoes ?? [])) {
      if ('blocks' in item) {
        // Records of a device without write access are kept too (they say what it has, and it
        // may serve blocks), but they never win: see GlobalView.update.
        const r = item;
        const problem = recordProblem(r) ?? (r.sequence <= lastSeq ? 'sequence went backwards' : null) ?? this.signatureProblem(update.folderId, peer, r);
        if (problem) {
          this.deps.logger.warn({ peer: peer.slice(0, 12), folderId: update.folderId, path: r.path.slice(0, 200), problem }, 'ignored an index record from a peer');
          continue;
        }
        lastSeq = r.sequence;
        accepted.push(r);
        if (r.modifiedBy !== peer) checked.add(r);
        continue;
      }
      if (item.sequence <= lastSeq) {
        this.deps.logger.warn({ peer: peer.slice(0, 12), folderId: update.folderId, path: item.path.slice(0, 200), problem: 'sequence went backwards' }, 'ignored an index record from a peer');
        continue;
      }
      lastSeq = item.sequence;
      const r = this.fromEcho(folder, item);
      if (r) {
        accepted.push(r);
        checked.add(r);
      } else {
        this.deps.logger.debug({ peer: peer.slice(0, 12), folderId: update.folderId, path: item.path.slice(0, 200) }, 'echo of a version this device no longer holds');
      }
    }
    if (accepted.length > 0 || !known) {
      // One transaction: the records and the file history rows they make (FolderSync.historyReceived).
      this.deps.store.transaction(() => {
        this.deps.store.index.putRemote(update.folderId, peer, update.indexId, accepted);
        folder.sync.historyReceived(accepted, checked);
      });
      folder.sync.remoteChanged(accepted.map((r) => r.path));
    }
    if (update.upToDate) {
      shared.upToDate = true;
      folder.sync.kick();
    }
  }

  async serveBlock(channel: SyncChannel, req: BlockRequest, signal: AbortSignal): Promise<Buffer> {
    const folder = this.deps.host.running(req.folderId);
    if (!folder || !this.shared.get(channel)?.has(req.folderId)) throw new NotFoundError('folder not shared with this peer');
    if (!mayRead(this.deps.host.spaceState(channel.spaceId), req.folderId, channel.peerId)) throw new NotFoundError('folder not shared with this peer');
    const data = await folder.sync.readBlock(req.hash, req.size, { path: req.path, offset: req.offset }, signal);
    if (this.deps.corruptServedBlocks && data.byteLength > 0) data[0] = data[0]! ^ 0xff;
    return data;
  }

  onClose(channel: SyncChannel): void {
    const folders = this.shared.get(channel);
    this.shared.delete(channel);
    this.peerOffers.delete(channel);
    const perSpace = this.channels.get(channel.peerId);
    if (perSpace?.get(channel.spaceId) === channel) perSpace.delete(channel.spaceId);
    if (perSpace?.size === 0) this.channels.delete(channel.peerId);
    for (const folderId of folders?.keys() ?? []) this.deps.host.running(folderId)?.sync.kick();
  }


  /**
   * The record an echo names: our own record of its path, if it is still the one with that
   * signature, at the peer's sequence. Otherwise we changed the path since the peer pulled it,
   * or never announced that version: the echo says nothing we could check, so it is dropped.
   */
  private fromEcho(folder: RunningFolder, echo: RecordEcho): FileRecord | null {
    const mine = folder.sync.localRecord(echo.path);
    if (!mine || echo.sig.length !== ECHO_SIG_BYTES || !mine.sig.subarray(0, ECHO_SIG_BYTES).equals(echo.sig)) return null;
    const { local: _local, ...announced } = mine;
    return { ...announced, sequence: echo.sequence };
  }

  /**
   * A record the peer made itself arrives on a connection authenticated as that peer; one it
   * relays must carry its author's valid signature (a relay cannot forge or re-attribute).
   */
  private signatureProblem(folderId: string, peer: string, r: FileRecord): string | null {
    if (r.modifiedBy === peer) return null;
    // The very version this device holds (made here, or taken from its author or checked
    // when relayed): nothing to check. A peer that pulled our changes sends them all back,
    // and an Ed25519 verify costs ~50 µs, far more than comparing the signed bytes.
    const mine = this.deps.host.running(folderId)?.sync.localRecord(r.path);
    if (mine && mine.modifiedBy === r.modifiedBy && mine.sig.equals(r.sig) && recordSigningBytes(folderId, mine).equals(recordSigningBytes(folderId, r))) return null;
    return verify(recordSigningBytes(folderId, r), r.sig, r.modifiedBy) ? null : 'its signature does not match its author';
  }

  /**
   * Splits records for the peer into those sent whole and echoes: records that are, signature
   * and all, what the peer announced for their path (most of what we hold after pulling its
   * changes). The peer still holds them unless it changed the path since; then it ignores the
   * echo until we pull that change. A peer whose index was reset has no records here any more
   * (onOffers dropped them), so it gets everything whole.
   */
  private echoed(folderId: string, peer: string, batch: FileRecord[]): Pick<IndexUpdate, 'records' | 'echoes'> {
    const theirs = this.deps.store.index.remoteSigs(folderId, peer, batch.map((r) => r.path));
    if (theirs.size === 0) return { records: batch, echoes: [] };
    const records: FileRecord[] = [];
    const echoes: RecordEcho[] = [];
    for (const r of batch) {
      if (theirs.get(r.path)?.equals(r.sig)) echoes.push({ path: r.path, sequence: r.sequence, sig: r.sig.subarray(0, ECHO_SIG_BYTES) });
      else records.push(r);
    }
    return { records, echoes };
  }

  private sendIndex(channel: SyncChannel, folderId: string, always = false): void {
    const shared = this.shared.get(channel)?.get(folderId);
    const folder = this.deps.host.running(folderId);
    if (!shared || !folder || !channel.opened) return;
    const indexId = folder.record.indexId;
    let sent = false;
    let complete = false;
    for (;;) {
      const records = this.deps.store.index.localSince(folderId, shared.sentSequence, RECORDS_PER_MESSAGE);
      if (records.length === 0) break;
      let blocks = 0;
      let cut = 0;
      while (cut < records.length && (cut === 0 || blocks + records[cut]!.blocks.length <= BLOCKS_PER_MESSAGE)) {
        blocks += records[cut]!.blocks.length;
        cut++;
      }
      shared.sentSequence = records[cut - 1]!.sequence;
      // Read-only here: changes made on this device stay here (the writers would ignore them
      // anyway, but their names and sizes are nobody else's business).
      const selfWrites = mayWrite(this.deps.host.spaceState(channel.spaceId), folderId, this.deps.selfId);
      const batch = selfWrites ? records.slice(0, cut) : records.slice(0, cut).filter((r) => r.modifiedBy !== this.deps.selfId);
      const more = cut < records.length || records.length === RECORDS_PER_MESSAGE;
      channel.sendIndex({ folderId, indexId, ...this.echoed(folderId, channel.peerId, batch), upToDate: !more });
      sent = true;
      complete = !more;
      if (!more) break;
    }
    if ((sent && !complete) || (!sent && always)) channel.sendIndex({ folderId, indexId, records: [], upToDate: true });
  }
}

/** Records and echoes of one index message, merged by sequence (each list is in sequence order when sent). */
function* inSequence(records: readonly FileRecord[], echoes: readonly RecordEcho[]): Generator<FileRecord | RecordEcho> {
  let i = 0;
  let j = 0;
  while (i < records.length || j < echoes.length) {
    const r = records[i];
    const e = echoes[j];
    if (r && (!e || r.sequence <= e.sequence)) {
      yield r;
      i++;
    } else if (e) {
      yield e;
      j++;
    }
  }
}

import { BadRequestError, ForbiddenError, LogInvalidError, NotFoundError, AgoraError } from '../../errors/index.js';
import {
  commitName,
  entrySpaceId,
  folderName as folderNameSchema,
  GENERAL_CHANNEL,
  opensCommitment,
  type DecodedEntry,
  type LogBody,
  type NameDisclosure,
  type NameRef,
  type SignedEntry,
} from '../../protocol/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';
import type { SpaceRecord, Store } from '../../ports/store.js';
import { randomBytes, sign } from '../crypto.js';
import type { EventBus } from '../events.js';
import { createEntry, fromStored, toStored, verifyEntry } from './entries.js';
import { replay, type ReplayResult } from './replay.js';
import type { MemberState, SpaceState } from './space-state.js';

/** Entries waiting for missing parents, per space; beyond this a peer is flooding us. */
const MAX_ORPHANS = 10_000;

interface LoadedSpace {
  record: SpaceRecord;
  entries: Map<string, DecodedEntry>;
  result: ReplayResult;
  /** Names this device knows, by commitment (only those it was allowed to learn). */
  names: Map<string, NameDisclosure>;
}

/**
 * Owns the spaces of this device: their records, their logs, and the state each log
 * replays to. Every change to a log goes through here, is stored, then announced.
 */
export class SpaceService {
  private readonly spaces = new Map<string, LoadedSpace>();
  private readonly orphans = new Map<string, Map<string, DecodedEntry>>();
  readonly selfId: string;

  constructor(
    private readonly deps: { store: Store; keyPair: KeyPair; clock: Clock; logger: Logger; events: EventBus },
  ) {
    this.selfId = deps.keyPair.publicKey.toString('hex');
    for (const record of deps.store.spaces.list()) {
      const entries = new Map<string, DecodedEntry>();
      for (const stored of deps.store.log.list(record.spaceId)) {
        try {
          entries.set(stored.id, fromStored(stored));
        } catch (err) {
          // Entries of an older log format (pre-release builds) cannot be read any more.
          deps.logger.warn({ spaceId: record.spaceId, entry: stored.id, err: (err as Error).message }, 'unreadable log entry skipped');
        }
      }
      const names = new Map(deps.store.log.names(record.spaceId).map((n) => [n.h, n]));
      this.spaces.set(record.spaceId, { record, entries, names, result: replay(record.spaceId, [...entries.values()]) });
    }
  }

  create(name: string, dir: string, creatorName: string): SpaceRecord {
    const creator = commitName(creatorName);
    const genesis = createEntry(this.deps.keyPair, {
      space: null,
      parents: [],
      body: { type: 'space.create', name, creatorName: creator.ref },
      time: this.deps.clock.now(),
    });
    const record: SpaceRecord = { spaceId: genesis.id, name, dir, secret: randomBytes(32), joinedAt: this.deps.clock.now() };
    this.install(record, [genesis], [creator.disclosure]);
    return record;
  }

  /** Stores a space received through an invite; the entries must make this device a member. */
  adopt(record: SpaceRecord, signed: SignedEntry[]): void {
    const entries = signed.map((s) => verifyEntry(s));
    const result = replay(record.spaceId, entries);
    if (!result.state.isActive(this.selfId)) {
      throw new LogInvalidError('the space log sent by the inviter does not make this device a member');
    }
    record.name = result.state.name;
    this.install(record, entries);
  }

  private install(record: SpaceRecord, entries: DecodedEntry[], names: NameDisclosure[] = []): void {
    const now = this.deps.clock.now();
    this.deps.store.transaction(() => {
      this.deps.store.spaces.put(record);
      for (const e of entries) this.deps.store.log.append(toStored(e, record.spaceId, now));
      for (const n of names) this.deps.store.log.putName(record.spaceId, n);
    });
    const map = new Map(entries.map((e) => [e.id, e]));
    this.spaces.set(record.spaceId, { record, entries: map, names: new Map(names.map((n) => [n.h, n])), result: replay(record.spaceId, entries) });
    this.deps.events.emit('space.changed', { spaceId: record.spaceId });
  }

  /**
   * Commits to a name for an entry this device is about to append; the name is kept here and
   * handed out later only to the devices the log allows to know it.
   */
  commitName(spaceId: string, name: string): NameRef {
    const space = this.loaded(spaceId);
    const { ref, disclosure } = commitName(name);
    this.deps.store.log.putName(spaceId, disclosure);
    space.names.set(ref.h, disclosure);
    return ref;
  }

  /** The name behind a commitment, if this device knows it. */
  nameOf(spaceId: string, hash: string): string | null {
    return this.spaces.get(spaceId)?.names.get(hash)?.name ?? null;
  }

  memberName(spaceId: string, memberId: string): string | null {
    const m = this.spaces.get(spaceId)?.result.state.members.get(memberId);
    return m ? this.nameOf(spaceId, m.nameHash) : null;
  }

  folderName(spaceId: string, folderId: string): string | null {
    const f = this.spaces.get(spaceId)?.result.state.folders.get(folderId);
    return f ? this.nameOf(spaceId, f.nameHash) : null;
  }

  /** A channel's name: `general`, or the name behind its commitment if this device knows it. */
  channelName(spaceId: string, channelId: string): string | null {
    if (channelId === GENERAL_CHANNEL) return GENERAL_CHANNEL;
    const c = this.spaces.get(spaceId)?.result.state.channels.get(channelId);
    return c ? this.nameOf(spaceId, c.nameHash) : null;
  }

  /** The names among `hashes` that `viewer` may know and this device knows. */
  namesFor(spaceId: string, viewer: string, hashes: readonly string[]): NameDisclosure[] {
    const space = this.spaces.get(spaceId);
    if (!space) return [];
    const out: NameDisclosure[] = [];
    for (const h of hashes) {
      const known = space.names.get(h);
      if (known && this.mayKnowName(spaceId, h, viewer)) out.push(known);
    }
    return out;
  }

  /**
   * Two members who talk directly (chat) may know each other's names, even a guest and a
   * member: the chat service says who does (the log cannot: direct conversations are not in it).
   */
  private talksDirectly: (spaceId: string, a: string, b: string) => boolean = () => false;

  setDirectContacts(fn: (spaceId: string, a: string, b: string) => boolean): void {
    this.talksDirectly = fn;
  }

  /** SpaceState.mayKnowName, plus the names of those `viewer` talks with directly. */
  private mayKnowName(spaceId: string, hash: string, viewer: string): boolean {
    const state = this.state(spaceId);
    if (state.mayKnowName(hash, viewer)) return true;
    const subject = state.nameSubjects.get(hash);
    return subject?.kind === 'member' && state.isActive(viewer) && this.talksDirectly(spaceId, subject.memberId, viewer);
  }

  /** Commitments of the log whose names this device may know but does not know yet. */
  missingNames(spaceId: string): string[] {
    const space = this.spaces.get(spaceId);
    if (!space) return [];
    const state = space.result.state;
    return [...state.nameSubjects.keys()].filter((h) => !space.names.has(h) && this.mayKnowName(spaceId, h, this.selfId));
  }

  /**
   * Keeps names a peer sent: each must open a commitment of the log that this device may know
   * (anything else is dropped, so a peer cannot fill the store with names). Returns how many
   * were new.
   */
  learnNames(spaceId: string, list: readonly NameDisclosure[]): number {
    const space = this.spaces.get(spaceId);
    if (!space) return 0;
    const state = space.result.state;
    const fresh: NameDisclosure[] = [];
    for (const n of list) {
      if (space.names.has(n.h) || !opensCommitment(n) || !this.mayKnowName(spaceId, n.h, this.selfId)) continue;
      // A folder's name becomes a directory name: it must be one on every system.
      if (state.nameSubjects.get(n.h)?.kind === 'folder' && !folderNameSchema.safeParse(n.name).success) continue;
      fresh.push({ h: n.h, salt: n.salt, name: n.name });
    }
    if (fresh.length === 0) return 0;
    this.deps.store.transaction(() => {
      for (const n of fresh) this.deps.store.log.putName(spaceId, n);
    });
    for (const n of fresh) space.names.set(n.h, n);
    this.deps.events.emit('space.changed', { spaceId });
    return fresh.length;
  }

  list(): SpaceRecord[] {
    return [...this.spaces.values()].map((s) => ({ ...s.record, name: s.result.state.name || s.record.name }));
  }

  has(spaceId: string): boolean {
    return this.spaces.has(spaceId);
  }

  /** A space by id, id prefix or unique name. */
  resolve(ref: string): SpaceRecord {
    const all = this.list();
    const exact = all.find((s) => s.spaceId === ref);
    if (exact) return exact;
    const byName = all.filter((s) => s.name === ref);
    const byPrefix = ref.length >= 6 ? all.filter((s) => s.spaceId.startsWith(ref.toLowerCase())) : [];
    const matches = byName.length > 0 ? byName : byPrefix;
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new NotFoundError(`No space "${ref}" on this device. See the spaces with: agora space list`);
    throw new AgoraError('AMBIGUOUS', `Several spaces are called "${ref}"; name one by its id (agora space list shows the ids).`);
  }

  state(spaceId: string): SpaceState {
    return this.loaded(spaceId).result.state;
  }

  /** The last replay of the log: state, order, and which entries took effect or why not. */
  replayResult(spaceId: string): ReplayResult {
    return this.loaded(spaceId).result;
  }

  /** Entries that no other entry follows: what a new entry must follow. */
  heads(spaceId: string): string[] {
    const { result } = this.loaded(spaceId);
    const followed = new Set<string>();
    for (const e of result.order) for (const p of e.content.parents) followed.add(p);
    return result.order.filter((e) => !followed.has(e.id)).map((e) => e.id);
  }

  entry(spaceId: string, id: string): DecodedEntry | undefined {
    return this.spaces.get(spaceId)?.entries.get(id);
  }

  /** All entries in replay order (parents before children), as they travel. */
  entries(spaceId: string): DecodedEntry[] {
    return this.loaded(spaceId).result.order;
  }

  /** Appends an entry authored by this device; refuses what the log would not accept. */
  append(spaceId: string, body: LogBody): DecodedEntry {
    const space = this.loaded(spaceId);
    const entry = createEntry(this.deps.keyPair, {
      space: spaceId,
      parents: this.heads(spaceId),
      body,
      time: this.deps.clock.now(),
    });
    const reason = space.result.state.authorize(entry);
    if (reason !== null) throw new ForbiddenError(`Not allowed: ${reason}.`);
    this.store(space, [entry]);
    return entry;
  }

  /**
   * Takes entries from a peer. Each is verified (format, signature, space); entries whose
   * parents are missing wait. Returns the ids of parents still missing, for the caller to ask.
   */
  ingest(spaceId: string, signed: SignedEntry[]): { added: number; missing: string[] } {
    const space = this.loaded(spaceId);
    const waiting = this.orphans.get(spaceId) ?? new Map<string, DecodedEntry>();
    this.orphans.set(spaceId, waiting);
    const fresh: DecodedEntry[] = [];
    for (const s of signed) {
      const entry = verifyEntry(s);
      if (entrySpaceId(entry) !== spaceId) throw new LogInvalidError('entry belongs to another space');
      if (space.entries.has(entry.id) || waiting.has(entry.id)) continue;
      waiting.set(entry.id, entry);
    }
    if (waiting.size > MAX_ORPHANS) {
      waiting.clear();
      throw new LogInvalidError('too many log entries with unknown parents');
    }
    // Move every waiting entry whose ancestry is now complete into the log.
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const [id, e] of waiting) {
        if (e.content.parents.every((p) => space.entries.has(p) || fresh.some((f) => f.id === p))) {
          fresh.push(e);
          waiting.delete(id);
          progressed = true;
        }
      }
    }
    if (fresh.length > 0) this.store(space, fresh);
    const missing = new Set<string>();
    for (const e of waiting.values()) {
      for (const p of e.content.parents) if (!space.entries.has(p) && !waiting.has(p)) missing.add(p);
    }
    return { added: fresh.length, missing: [...missing] };
  }

  private store(space: LoadedSpace, entries: DecodedEntry[]): void {
    const now = this.deps.clock.now();
    this.deps.store.transaction(() => {
      for (const e of entries) this.deps.store.log.append(toStored(e, space.record.spaceId, now));
    });
    for (const e of entries) space.entries.set(e.id, e);
    space.result = replay(space.record.spaceId, [...space.entries.values()]);
    this.deps.events.emit('space.changed', { spaceId: space.record.spaceId });
  }

  private loaded(spaceId: string): LoadedSpace {
    const space = this.spaces.get(spaceId);
    if (!space) throw new NotFoundError(`No space ${spaceId.slice(0, 12)} on this device.`);
    return space;
  }

  /**
   * The members this device may list: everyone for admins and members; for a guest, itself
   * and the firm's people (admins and members), never other guests or keepers.
   */
  visibleMembers(spaceId: string): MemberState[] {
    const state = this.state(spaceId);
    const self = state.roleOf(this.selfId);
    const all = state.activeMembers();
    if (self === 'admin' || self === 'member') return all;
    return all.filter((m) => m.memberId === this.selfId || m.role === 'admin' || m.role === 'member');
  }

  /** Device ids this device may connect to, each with the spaces that allow it (see SpaceState.mayConnect). */
  peersInCommon(): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const [spaceId, space] of this.spaces) {
      if (!space.result.state.isActive(this.selfId)) continue;
      for (const m of space.result.state.activeMembers()) {
        if (m.memberId === this.selfId || !space.result.state.mayConnect(this.selfId, m.memberId)) continue;
        result.set(m.memberId, [...(result.get(m.memberId) ?? []), spaceId]);
      }
    }
    return result;
  }

  /**
   * A device that was a member of one of our spaces and is no longer (removed, or left), and
   * shares no other space with us: the firewall refuses it outright.
   */
  isFormerMember(deviceId: string): boolean {
    let former = false;
    for (const space of this.spaces.values()) {
      const state = space.result.state;
      if (!state.isActive(this.selfId)) continue;
      if (state.isActive(deviceId)) return false;
      if (state.members.has(deviceId)) former = true;
    }
    return former;
  }

  /** Signs with this device's identity key (log entries do it in createEntry; index records here). */
  sign(message: Buffer): Buffer {
    return sign(message, this.deps.keyPair.secretKey);
  }

  requireAdmin(spaceId: string): void {
    if (this.state(spaceId).roleOf(this.selfId) !== 'admin') {
      throw new ForbiddenError('Only admins of the space can do this; ask an admin (agora members lists them).');
    }
  }

  static validateName(name: string): string {
    const trimmed = name.trim();
    if (trimmed.length === 0 || trimmed.length > 100 || /[\u0000-\u001f\u007f]/.test(trimmed)) {
      throw new BadRequestError('A name must be 1 to 100 characters with no control characters.');
    }
    return trimmed;
  }
}

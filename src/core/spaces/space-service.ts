import { BadRequestError, ForbiddenError, LogInvalidError, NotFoundError, AgoraError } from '../../errors/index.js';
import {
  commitName,
  entrySpaceId,
  folderName as folderNameSchema,
  GENERAL_CHANNEL,
  MAX_ENTRIES_PER_MESSAGE,
  MAX_STUBS_PER_MESSAGE,
  opensCommitment,
  type DecodedEntry,
  type LogBody,
  type LogStub,
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
import { guestFilter, type EntryFilter } from './guest-view.js';
import { replay, type ReplayResult } from './replay.js';
import type { MemberState, SpaceState } from './space-state.js';

/** Part of a log as it travels: entries in full, or stubs for what the receiver may not see. */
export type LogBatch = { entries: SignedEntry[] } | { stubs: LogStub[] };

/** Entries waiting for missing parents, per space; beyond this a peer is flooding us. */
const MAX_ORPHANS = 10_000;

interface LoadedSpace {
  record: SpaceRecord;
  entries: Map<string, DecodedEntry>;
  /** On a guest: stand-ins for the entries it may not see (see guest-view.ts); empty elsewhere. */
  stubs: Map<string, LogStub>;
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
  private readonly orphans = new Map<string, Map<string, DecodedEntry | LogStub>>();
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
      const stubs = new Map(deps.store.log.stubs(record.spaceId).map((st) => [st.id, st]));
      this.spaces.set(record.spaceId, { record, entries, stubs, names, result: replay(record.spaceId, [...entries.values()], [...stubs.values()]) });
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

  /**
   * Stores a space received through an invite; the entries must make this device a member.
   * A guest gets its part of the log: the rest comes as stubs (see guest-view.ts).
   */
  adopt(record: SpaceRecord, signed: SignedEntry[], stubs: LogStub[] = []): void {
    const entries = signed.map((s) => verifyEntry(s));
    const result = replay(record.spaceId, entries, stubs);
    if (!result.state.isActive(this.selfId)) {
      throw new LogInvalidError('the space log sent by the inviter does not make this device a member');
    }
    if (stubs.length > 0 && result.state.roleOf(this.selfId) !== 'guest') {
      throw new LogInvalidError('the inviter sent a partial space log to a device that is not a guest');
    }
    record.name = result.state.name;
    this.install(record, entries, [], stubs);
  }

  private install(record: SpaceRecord, entries: DecodedEntry[], names: NameDisclosure[] = [], stubs: LogStub[] = []): void {
    const now = this.deps.clock.now();
    const entryIds = new Set(entries.map((e) => e.id));
    const stubMap = new Map(stubs.filter((st) => !entryIds.has(st.id)).map((st) => [st.id, st]));
    this.deps.store.transaction(() => {
      this.deps.store.spaces.put(record);
      for (const e of entries) this.deps.store.log.append(toStored(e, record.spaceId, now));
      for (const st of stubMap.values()) this.deps.store.log.putStub(record.spaceId, st);
      for (const n of names) this.deps.store.log.putName(record.spaceId, n);
    });
    const map = new Map(entries.map((e) => [e.id, e]));
    const result = replay(record.spaceId, entries, [...stubMap.values()]);
    this.spaces.set(record.spaceId, { record, entries: map, stubs: stubMap, names: new Map(names.map((n) => [n.h, n])), result });
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

  /** Entries (or stubs) that no other entry follows: what a new entry must follow. */
  heads(spaceId: string): string[] {
    return this.loaded(spaceId).result.heads;
  }

  entry(spaceId: string, id: string): DecodedEntry | undefined {
    return this.spaces.get(spaceId)?.entries.get(id);
  }

  /** Whether this device holds the entry, or (a guest) its stub. */
  knows(spaceId: string, id: string): boolean {
    const space = this.spaces.get(spaceId);
    return space !== undefined && (space.entries.has(id) || space.stubs.has(id));
  }

  /** The parents of an entry or stub this device holds. */
  parentsOf(spaceId: string, id: string): readonly string[] | undefined {
    const space = this.spaces.get(spaceId);
    return space?.entries.get(id)?.content.parents ?? space?.stubs.get(id)?.parents;
  }

  /** Ids of the stubs this device holds (a guest: the entries it may not see, as far as it knows). */
  stubIds(spaceId: string): string[] {
    return [...(this.spaces.get(spaceId)?.stubs.keys() ?? [])];
  }

  /** Null when `viewer` may hold the whole log, else which entries it may hold in full. */
  filterFor(spaceId: string, viewer: string): EntryFilter | null {
    return guestFilter(this.state(spaceId), viewer);
  }

  /**
   * The entries among `ids` as `viewer` may hold them: in full, or as stubs for what it may not
   * see. In replay order, in batches of one kind that each fit one message, so the receiver
   * never holds much that waits for a parent. Stubs this device holds itself are left out (it
   * cannot vouch for them; the firm holds the entries).
   */
  logFor(spaceId: string, viewer: string, ids: ReadonlySet<string>): LogBatch[] {
    const space = this.loaded(spaceId);
    const filter = guestFilter(space.result.state, viewer);
    const batches: LogBatch[] = [];
    let last: LogBatch | undefined;
    for (const e of space.result.order) {
      if (!ids.has(e.id)) continue;
      if (filter === null || filter(e)) {
        if (!last || !('entries' in last) || last.entries.length >= MAX_ENTRIES_PER_MESSAGE) batches.push((last = { entries: [] }));
        last.entries.push({ bytes: e.bytes, sig: e.sig });
      } else {
        if (!last || !('stubs' in last) || last.stubs.length >= MAX_STUBS_PER_MESSAGE) batches.push((last = { stubs: [] }));
        last.stubs.push({ id: e.id, parents: [...e.content.parents] });
      }
    }
    return batches;
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
   * parents are missing wait. Stubs count only on a guest (the firm must hold every entry), and
   * an entry replaces its stub. Returns the ids of parents still missing, for the caller to ask.
   */
  ingest(spaceId: string, signed: SignedEntry[], stubs: readonly LogStub[] = []): { added: number; missing: string[] } {
    const space = this.loaded(spaceId);
    const waiting = this.orphans.get(spaceId) ?? new Map<string, DecodedEntry | LogStub>();
    this.orphans.set(spaceId, waiting);
    for (const s of signed) {
      const entry = verifyEntry(s);
      if (entrySpaceId(entry) !== spaceId) throw new LogInvalidError('entry belongs to another space');
      if (space.entries.has(entry.id)) continue;
      const stub = space.stubs.get(entry.id);
      if (stub && !sameIds(stub.parents, entry.content.parents)) {
        this.deps.logger.warn({ spaceId, entry: entry.id }, 'a peer sent a stub whose parents differ from its entry; the entry counts');
      }
      const pending = waiting.get(entry.id);
      if (pending && 'content' in pending) continue;
      waiting.set(entry.id, entry);
    }
    const takesStubs = stubs.length > 0 && guestFilter(space.result.state, this.selfId) !== null;
    for (const st of takesStubs ? stubs : []) {
      if (space.entries.has(st.id) || space.stubs.has(st.id) || waiting.has(st.id)) continue;
      waiting.set(st.id, { id: st.id, parents: [...st.parents] });
    }
    if (waiting.size > MAX_ORPHANS) {
      waiting.clear();
      throw new LogInvalidError('too many log entries with unknown parents');
    }
    // Move every waiting entry or stub whose ancestry is now complete into the log.
    const freshEntries: DecodedEntry[] = [];
    const freshStubs: LogStub[] = [];
    const placed = new Set<string>();
    const present = (p: string) => space.entries.has(p) || space.stubs.has(p) || placed.has(p);
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const [id, node] of waiting) {
        const parents = 'content' in node ? node.content.parents : node.parents;
        if (!parents.every(present)) continue;
        if ('content' in node) freshEntries.push(node);
        else freshStubs.push(node);
        placed.add(id);
        waiting.delete(id);
        progressed = true;
      }
    }
    if (freshEntries.length > 0 || freshStubs.length > 0) this.store(space, freshEntries, freshStubs);
    const missing = new Set<string>();
    for (const node of waiting.values()) {
      const parents = 'content' in node ? node.content.parents : node.parents;
      for (const p of parents) if (!present(p) && !waiting.has(p)) missing.add(p);
    }
    return { added: freshEntries.length, missing: [...missing] };
  }

  private store(space: LoadedSpace, entries: DecodedEntry[], stubs: LogStub[] = []): void {
    const now = this.deps.clock.now();
    const spaceId = space.record.spaceId;
    this.deps.store.transaction(() => {
      for (const e of entries) this.deps.store.log.append(toStored(e, spaceId, now));
      for (const st of stubs) this.deps.store.log.putStub(spaceId, st);
    });
    for (const e of entries) {
      space.entries.set(e.id, e);
      space.stubs.delete(e.id);
    }
    for (const st of stubs) space.stubs.set(st.id, st);
    space.result = replay(spaceId, [...space.entries.values()], [...space.stubs.values()]);
    this.deps.events.emit('space.changed', { spaceId });
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

function sameIds(a: readonly string[], b: readonly string[]): boolean {
  const sortedB = [...b].sort();
  return a.length === b.length && [...a].sort().every((id, i) => id === sortedB[i]);
}

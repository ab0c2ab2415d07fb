import { BadRequestError, ForbiddenError, LogInvalidError, NotFoundError, AgoraError } from '../../errors/index.js';
import { entrySpaceId, type DecodedEntry, type LogBody, type SignedEntry } from '../../protocol/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair } from '../../ports/network.js';
import type { SpaceRecord, Store } from '../../ports/store.js';
import { randomBytes } from '../crypto.js';
import type { EventBus } from '../events.js';
import { createEntry, fromStored, toStored, verifyEntry } from './entries.js';
import { replay, type ReplayResult } from './replay.js';
import type { SpaceState } from './space-state.js';

/** Entries waiting for missing parents, per space; beyond this a peer is flooding us. */
const MAX_ORPHANS = 10_000;

interface LoadedSpace {
  record: SpaceRecord;
  entries: Map<string, DecodedEntry>;
  result: ReplayResult;
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
      for (const stored of deps.store.log.list(record.spaceId)) entries.set(stored.id, fromStored(stored));
      this.spaces.set(record.spaceId, { record, entries, result: replay(record.spaceId, [...entries.values()]) });
    }
  }

  create(name: string, dir: string, creatorName: string): SpaceRecord {
    const genesis = createEntry(this.deps.keyPair, {
      space: null,
      parents: [],
      body: { type: 'space.create', name, creatorName },
      time: this.deps.clock.now(),
    });
    const record: SpaceRecord = { spaceId: genesis.id, name, dir, secret: randomBytes(32), joinedAt: this.deps.clock.now() };
    this.install(record, [genesis]);
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

  private install(record: SpaceRecord, entries: DecodedEntry[]): void {
    const now = this.deps.clock.now();
    this.deps.store.transaction(() => {
      this.deps.store.spaces.put(record);
      for (const e of entries) this.deps.store.log.append(toStored(e, record.spaceId, now));
    });
    const map = new Map(entries.map((e) => [e.id, e]));
    this.spaces.set(record.spaceId, { record, entries: map, result: replay(record.spaceId, entries) });
    this.deps.events.emit('space.changed', { spaceId: record.spaceId });
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

  /** Device ids that share at least one space with this device (active members only). */
  peersInCommon(): Map<string, string[]> {
    const result = new Map<string, string[]>();
    for (const [spaceId, space] of this.spaces) {
      if (!space.result.state.isActive(this.selfId)) continue;
      for (const m of space.result.state.activeMembers()) {
        if (m.memberId === this.selfId) continue;
        result.set(m.memberId, [...(result.get(m.memberId) ?? []), spaceId]);
      }
    }
    return result;
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

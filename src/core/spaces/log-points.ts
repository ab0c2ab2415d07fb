import { MAX_LOG_POINT, type DecodedEntry, type LogStub } from '../../protocol/index.js';
import { replay, type ReplayResult } from './replay.js';
import type { SpaceState } from './space-state.js';

/** What LogPoints reads of one space's log (SpaceService has it all). */
export interface LogSource {
  /** The latest replay of the whole log: a new object after every change of the log. */
  current(): ReplayResult;
  /** The entries (or a guest's stubs) that nothing follows, in any order. */
  heads(): readonly string[];
  /** The entry, if this device holds it in full. */
  entry(id: string): DecodedEntry | undefined;
  /** The parents of an entry or stub this device holds; undefined when it holds neither. */
  parentsOf(id: string): readonly string[] | undefined;
  /** Whether this device holds stubs: a guest's part of the log (see guest-view.ts). */
  partial(): boolean;
}

/** The space at one log point, as this device can replay it. */
export interface PointState {
  state: SpaceState;
  /**
   * Some entries of the point's ancestry are stubs here (this device is a guest): a member
   * this state does not know may be one the guest is not shown, not a stranger.
   */
  partial: boolean;
}

/** Log states kept at once (a state is the size of the space's membership and folders). */
const STATES = 64;
/** Points whose decisions are kept (a few booleans each); past this, the oldest go. */
const DECISIONS = 4096;

/**
 * The space as it stood at a log point: the state replayed from the point's entries and
 * all their ancestors, and nothing else. A file record names the point its author was at
 * when it made the version (FileRecord.at), so every node can judge whether the author
 * could write the folder then, whatever happened in the log since.
 *
 * Costs: one replay per distinct point, never one per record. Replayed states are kept for
 * the last STATES points and emptied whenever the log changes; the point the log is at now
 * is its last replay and costs nothing. Decisions (may this author write this folder at this
 * point) are kept for DECISIONS points across log changes: the entries of a point never
 * change, so neither does what they replay to. Except on a guest, whose stubs may since have
 * been replaced by their entries (see guest-view.ts): there they go with every change too.
 */
export class LogPoints {
  private readonly states = new Map<string, PointState>();
  /** point → folder → author → may write. */
  private readonly decisions = new Map<string, Map<string, Map<string, boolean>>>();
  private seen: ReplayResult | null = null;
  private seenPartial = false;
  private point: readonly string[] = [];
  private pointKey = '';
  /** The last point asked about: consecutive records nearly always share it. */
  private lastKey = '';
  private lastDecisions: Map<string, Map<string, boolean>> | null = null;
  /** Replays done since this was made (for tests and diagnostics). */
  replays = 0;

  constructor(
    private readonly spaceId: string,
    private readonly source: LogSource,
    private readonly capacity: { states: number; decisions: number } = { states: STATES, decisions: DECISIONS },
  ) {}

  /**
   * This device's log point now: the heads of its log, sorted, at most MAX_LOG_POINT of them
   * (a log with more heads cannot grow either: an entry follows at most that many).
   */
  now(): readonly string[] {
    this.refresh();
    return this.point;
  }

  /**
   * Whether `author` may write `folderId` at the point `at` (well formed: sorted ids), or
   * undefined while this device lacks one of its entries (or an ancestor): the log has not
   * reached it yet. On a guest, an author the point's state does not know at all is one the
   * guest is not shown (another guest): true, so that who holds the version decides.
   */
  mayWriteAt(at: readonly string[], folderId: string, author: string): boolean | undefined {
    if (at.length === 0) return undefined;
    this.refresh();
    const key = keyOf(at);
    let byFolder = this.lastDecisions !== null && key === this.lastKey ? this.lastDecisions : this.decisions.get(key);
    if (byFolder !== undefined) {
      this.lastKey = key;
      this.lastDecisions = byFolder;
      const known = byFolder.get(folderId)?.get(author);
      if (known !== undefined) return known;
    }
    const point = this.stateAt(at, key);
    if (point === undefined) return undefined;
    const yes = point.state.accessOf(folderId, author) === 'write' || (point.partial && !point.state.members.has(author));
    if (byFolder === undefined) {
      byFolder = new Map();
      this.decisions.set(key, byFolder);
      if (this.decisions.size > this.capacity.decisions) this.decisions.delete(this.decisions.keys().next().value!);
    }
    let byAuthor = byFolder.get(folderId);
    if (byAuthor === undefined) byFolder.set(folderId, (byAuthor = new Map()));
    byAuthor.set(author, yes);
    this.lastKey = key;
    this.lastDecisions = byFolder;
    return yes;
  }

  /**
   * The state of the space at `at` (a well-formed point: sorted ids), or undefined while
   * this device lacks one of its entries (or an ancestor).
   */
  stateAt(at: readonly string[], key = keyOf(at)): PointState | undefined {
    if (at.length === 0) return undefined;
    this.refresh();
    let state = this.states.get(key);
    if (state === undefined) {
      state = key === this.pointKey ? { state: this.seen!.state, partial: this.seenPartial } : this.replayAt(at);
      if (state === undefined) return undefined;
      this.states.set(key, state);
      // Oldest first out: a Map iterates in insertion order.
      if (this.states.size > this.capacity.states) this.states.delete(this.states.keys().next().value!);
    }
    return state;
  }

  private refresh(): void {
    const current = this.source.current();
    if (current === this.seen) return;
    this.seen = current;
    const partial = this.source.partial();
    if (partial || this.seenPartial) {
      this.decisions.clear();
      this.lastDecisions = null;
    }
    this.seenPartial = partial;
    this.states.clear();
    const heads = [...this.source.heads()].sort();
    this.point = heads.slice(0, MAX_LOG_POINT);
    // A cut point is not the whole log: it replays like any other.
    this.pointKey = heads.length <= MAX_LOG_POINT ? keyOf(this.point) : '';
  }

  /** Replays the entries of `at` and their ancestors; undefined if one is missing here. */
  private replayAt(at: readonly string[]): PointState | undefined {
    const entries: DecodedEntry[] = [];
    const stubs: LogStub[] = [];
    const seen = new Set<string>();
    const stack = [...at];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      const parents = this.source.parentsOf(id);
      if (parents === undefined) return undefined;
      const entry = this.source.entry(id);
      if (entry) entries.push(entry);
      else stubs.push({ id, parents: [...parents] });
      for (const p of parents) if (!seen.has(p)) stack.push(p);
    }
    this.replays++;
    return { state: replay(this.spaceId, entries, stubs).state, partial: stubs.length > 0 };
  }
}

/** One string per point; a single id (the usual case) is its own key, with no allocation. */
function keyOf(at: readonly string[]): string {
  return at.length === 1 ? at[0]! : at.join(',');
}

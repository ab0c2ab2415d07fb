import type { EventBus, NodeEvents } from '../core/events.js';
import type { Role } from '../ports/store.js';

/**
 * What happened lately, kept by the node (in memory, the last `limit` items) so that the web
 * app shows it after a page load, not only what arrived while the page was open. Names are
 * resolved when the item is recorded: a folder or member may be gone by the time it is read.
 */
export type ActivityType =
  | 'member.online'
  | 'member.offline'
  | 'member.joined'
  | 'member.removed'
  | 'member.role'
  | 'space.added'
  | 'folder.added'
  | 'folder.pulled'
  | 'folder.conflict'
  | 'folder.problem'
  | 'sync.badBlock';

export interface ActivityItem {
  /** Increases by one per item; an item updated in place (pulls coalesced) keeps its id. */
  id: number;
  type: ActivityType;
  /** ISO 8601, of the latest event the item covers. */
  at: string;
  spaceId?: string;
  spaceName?: string;
  folderId?: string;
  folderName?: string;
  deviceId?: string;
  /** The member's or device's name. */
  name?: string;
  path?: string;
  deleted?: boolean;
  /** folder.pulled: how many files arrived in this burst (the path is the last one). */
  count?: number;
  role?: Role;
  message?: string;
}

/** What the log needs to know about the node, as functions so that tests can give fakes. */
export interface ActivitySource {
  events: EventBus;
  now: () => number;
  spaceIds: () => string[];
  spaceName: (spaceId: string) => string | undefined;
  members: (spaceId: string) => { memberId: string; name: string; role: Role; self: boolean }[];
  folder: (folderId: string) => { name: string; spaceId: string } | undefined;
}

/** Pulls of one folder closer together than this become one item ("12 files arrived"). */
const COALESCE_MS = 5_000;

export class ActivityLog {
  private readonly items: ActivityItem[] = [];
  private readonly listeners = new Set<(item: ActivityItem) => void>();
  private readonly roster = new Map<string, Map<string, Role>>();
  private nextId = 1;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly source: ActivitySource,
    private readonly limit = 500,
  ) {}

  /** Remembers who is in each space now, so that later changes to the log read as joins and roles. */
  start(): void {
    for (const spaceId of this.source.spaceIds()) this.roster.set(spaceId, this.rosterOf(spaceId));
    this.unsubscribe = this.source.events.onAny((type, data) => this.onEvent(type, data));
  }

  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Newest first, at most `limit`. */
  list(limit = this.limit): ActivityItem[] {
    return this.items.slice(-limit).reverse().map((i) => ({ ...i }));
  }

  /** Called with every new or updated item; returns a function that stops it. */
  onItem(listener: (item: ActivityItem) => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  private onEvent(type: keyof NodeEvents, data: NodeEvents[keyof NodeEvents]): void {
    switch (type) {
      case 'member.online':
      case 'member.offline': {
        const d = data as NodeEvents['member.online'];
        const spaceId = d.spaceIds[0];
        return this.add({ type, deviceId: d.deviceId, name: d.name, ...(spaceId ? { spaceId, spaceName: this.source.spaceName(spaceId) } : {}) });
      }
      case 'space.changed':
        return this.spaceChanged((data as NodeEvents['space.changed']).spaceId);
      case 'folder.added': {
        const d = data as NodeEvents['folder.added'];
        return this.add({ type, ...this.folderRef(d.folderId) });
      }
      case 'folder.pulled':
        return this.pulled(data as NodeEvents['folder.pulled']);
      case 'folder.conflict': {
        const d = data as NodeEvents['folder.conflict'];
        return this.add({ type, ...this.folderRef(d.folderId), path: d.path });
      }
      case 'folder.state': {
        const d = data as NodeEvents['folder.state'];
        if (d.state === 'error') this.add({ type: 'folder.problem', ...this.folderRef(d.folderId), message: d.error ?? 'unknown problem' });
        return;
      }
      case 'sync.badBlock': {
        const d = data as NodeEvents['sync.badBlock'];
        return this.add({ type, ...this.folderRef(d.folderId), deviceId: d.deviceId, path: d.path });
      }
      default:
        return;
    }
  }

  /** The space log changed: compare its members with what we knew to tell joins, removals and roles. */
  private spaceChanged(spaceId: string): void {
    const before = this.roster.get(spaceId);
    let members: ReturnType<ActivitySource['members']>;
    try {
      members = this.source.members(spaceId);
    } catch {
      this.roster.delete(spaceId); // we left or were removed: nothing to compare any more
      return;
    }
    this.roster.set(spaceId, new Map(members.map((m) => [m.memberId, m.role])));
    const spaceName = this.source.spaceName(spaceId);
    if (!before) return this.add({ type: 'space.added', spaceId, spaceName });
    for (const m of members) {
      const was = before.get(m.memberId);
      if (was === undefined && !m.self) this.add({ type: 'member.joined', spaceId, spaceName, deviceId: m.memberId, name: m.name, role: m.role });
      else if (was !== undefined && was !== m.role) this.add({ type: 'member.role', spaceId, spaceName, deviceId: m.memberId, name: m.name, role: m.role });
    }
    const now = new Set(members.map((m) => m.memberId));
    for (const id of before.keys()) if (!now.has(id)) this.add({ type: 'member.removed', spaceId, spaceName, deviceId: id });
  }

  private pulled(d: NodeEvents['folder.pulled']): void {
    const last = this.items.at(-1);
    const now = this.source.now();
    if (last?.type === 'folder.pulled' && last.folderId === d.folderId && last.deleted === d.deleted && now - Date.parse(last.at) < COALESCE_MS) {
      last.count = (last.count ?? 1) + 1;
      last.path = d.path;
      last.at = new Date(now).toISOString();
      return this.tell(last);
    }
    this.add({ type: 'folder.pulled', ...this.folderRef(d.folderId), path: d.path, deleted: d.deleted, count: 1 });
  }

  private folderRef(folderId: string): Pick<ActivityItem, 'folderId' | 'folderName' | 'spaceId' | 'spaceName'> {
    const f = this.source.folder(folderId);
    return f ? { folderId, folderName: f.name, spaceId: f.spaceId, spaceName: this.source.spaceName(f.spaceId) } : { folderId };
  }

  private rosterOf(spaceId: string): Map<string, Role> {
    try {
      return new Map(this.source.members(spaceId).map((m) => [m.memberId, m.role]));
    } catch {
      return new Map();
    }
  }

  private add(fields: Omit<ActivityItem, 'id' | 'at'>): void {
    // Undefined fields would show up as keys in JSON; leave them out.
    const clean = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Omit<ActivityItem, 'id' | 'at'>;
    const item: ActivityItem = { id: this.nextId++, at: new Date(this.source.now()).toISOString(), ...clean };
    this.items.push(item);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
    this.tell(item);
  }

  private tell(item: ActivityItem): void {
    for (const l of this.listeners) l({ ...item });
  }
}

import { AgoraError } from '../../errors/index.js';
import type {
  FolderRepo,
  InviteRecord,
  InviteRepo,
  LogRepo,
  PeerRecord,
  PeerRepo,
  SettingsRepo,
  SpaceRecord,
  SpaceRepo,
  Store,
  StoredLogEntry,
} from '../../ports/store.js';
import type { LogStub, NameDisclosure } from '../../protocol/index.js';
import { createMemoryChat } from './chat.js';
import { createMemoryFileHistory } from './file-history.js';
import { createMemoryIndex } from './index-repo.js';
import { Journal } from './journal.js';

/**
 * A Store held in Maps, for tests and simulations. It mirrors the SQLite adapter observably:
 * records are copied in and out (callers cannot alias stored state), settings go through JSON,
 * lists come back in the same order, and transaction() rolls back on throw.
 */
export function createMemoryStore(): Store {
  const journal = new Journal();
  const spaces = new Map<string, SpaceRecord>();
  const entries = new Map<string, StoredLogEntry>();
  const logOrder = new Map<string, string[]>();
  /** Per space: stubs (see LogStub) in arrival order; an entry that arrives takes its stub's place. */
  const stubs = new Map<string, Map<string, LogStub>>();
  const invites = new Map<string, InviteRecord>();
  /** Per space: commitment → name disclosure. */
  const names = new Map<string, Map<string, NameDisclosure>>();
  const peers = new Map<string, PeerRecord>();
  const settings = new Map<string, string>();
  const { folders: indexFolders, index } = createMemoryIndex(journal);
  const { fileHistory, deleteFolder: deleteHistory } = createMemoryFileHistory(journal);
  // Same cascade as the SQLite adapter: a folder's history goes with it (its index goes in index-repo.ts).
  const folders: FolderRepo = {
    ...indexFolders,
    delete: (folderId) =>
      journal.run(() => {
        deleteHistory(folderId);
        indexFolders.delete(folderId);
      }),
  };
  const { chat, deleteSpace: deleteChat } = createMemoryChat(journal);
  let closed = false;

  const spaceRepo: SpaceRepo = {
    put: (s) => journal.set(spaces, s.spaceId, copySpace(s)),
    get: (spaceId) => copyMaybe(spaces.get(spaceId), copySpace),
    list: () => [...spaces.values()].sort(by((s) => [s.joinedAt, s.spaceId])).map(copySpace),
    // Same cascade as the SQLite adapter: the space's log, invites and chat go with it.
    delete: (spaceId) =>
      journal.run(() => {
        for (const id of logOrder.get(spaceId) ?? []) journal.delete(entries, id);
        journal.delete(logOrder, spaceId);
        journal.delete(stubs, spaceId);
        journal.delete(names, spaceId);
        for (const invite of [...invites.values()]) {
          if (invite.spaceId === spaceId) journal.delete(invites, invite.inviteId);
        }
        deleteChat(spaceId);
        journal.delete(spaces, spaceId);
      }),
  };

  const logRepo: LogRepo = {
    append: (e) => {
      if (entries.has(e.id)) return false;
      const stubsOfSpace = stubs.get(e.spaceId);
      if (stubsOfSpace?.has(e.id)) journal.delete(stubsOfSpace, e.id);
      else if ([...stubs.values()].some((m) => m.has(e.id))) return false;
      journal.set(entries, e.id, copyEntry(e));
      const order = logOrder.get(e.spaceId);
      if (order) {
        order.push(e.id);
        journal.record(() => order.pop());
      } else {
        journal.set(logOrder, e.spaceId, [e.id]);
      }
      return true;
    },
    has: (id) => entries.has(id),
    get: (id) => copyMaybe(entries.get(id), copyEntry),
    list: (spaceId) => (logOrder.get(spaceId) ?? []).map((id) => copyEntry(entries.get(id) as StoredLogEntry)),
    count: (spaceId) => logOrder.get(spaceId)?.length ?? 0,
    putStub: (spaceId, stub) => {
      if (entries.has(stub.id) || [...stubs.values()].some((m) => m.has(stub.id))) return;
      let map = stubs.get(spaceId);
      if (!map) journal.set(stubs, spaceId, (map = new Map()));
      journal.set(map, stub.id, { id: stub.id, parents: [...stub.parents] });
    },
    stubs: (spaceId) => [...(stubs.get(spaceId)?.values() ?? [])].map((s) => ({ id: s.id, parents: [...s.parents] })),
    putName: (spaceId, n) => {
      let map = names.get(spaceId);
      if (!map) journal.set(names, spaceId, (map = new Map()));
      if (!map.has(n.h)) journal.set(map, n.h, { h: n.h, salt: n.salt, name: n.name });
    },
    names: (spaceId) => [...(names.get(spaceId)?.values() ?? [])].map((n) => ({ ...n })),
  };

  const inviteRepo: InviteRepo = {
    put: (i) => journal.set(invites, i.inviteId, copyInvite(i)),
    get: (inviteId) => copyMaybe(invites.get(inviteId), copyInvite),
    list: (spaceId) =>
      [...invites.values()]
        .filter((i) => i.spaceId === spaceId)
        .sort(by((i) => [i.createdAt, i.inviteId]))
        .map(copyInvite),
  };

  const peerRepo: PeerRepo = {
    upsert: (p) => journal.set(peers, p.deviceId, copyPeer(p)),
    get: (deviceId) => copyMaybe(peers.get(deviceId), copyPeer),
    list: () => [...peers.values()].sort(by((p) => [-p.lastSeen, p.deviceId])).map(copyPeer),
  };

  const settingsRepo: SettingsRepo = {
    get: <T>(key: string): T | undefined => {
      const text = settings.get(key);
      return text === undefined ? undefined : (JSON.parse(text) as T);
    },
    set: (key, value) => {
      const text = JSON.stringify(value) as string | undefined;
      if (text === undefined) journal.delete(settings, key);
      else journal.set(settings, key, text);
    },
  };

  /** Makes every method of a repository refuse to run once the store is closed, as SQLite does. */
  function whileOpen<R extends object>(repo: R): R {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(repo)) {
      out[key] = (...args: unknown[]) => {
        if (closed) throw new AgoraError('STORE', 'The store is closed.');
        return (value as (...a: unknown[]) => unknown).apply(repo, args);
      };
    }
    return out as R;
  }

  return {
    spaces: whileOpen(spaceRepo),
    log: whileOpen(logRepo),
    invites: whileOpen(inviteRepo),
    peers: whileOpen(peerRepo),
    settings: whileOpen(settingsRepo),
    folders: whileOpen(folders),
    index: whileOpen(index),
    chat: whileOpen(chat),
    fileHistory: whileOpen(fileHistory),
    transaction: <T>(fn: () => T): T => {
      if (closed) throw new AgoraError('STORE', 'The store is closed.');
      return journal.run(fn);
    },
    close: () => {
      closed = true;
    },
  };
}

// Field by field, not spread: like a table row, a stored record keeps only the port's fields.
function copySpace(s: SpaceRecord): SpaceRecord {
  return { spaceId: s.spaceId, name: s.name, dir: s.dir, secret: Buffer.from(s.secret), joinedAt: s.joinedAt };
}

function copyEntry(e: StoredLogEntry): StoredLogEntry {
  return {
    id: e.id,
    spaceId: e.spaceId,
    author: e.author,
    parents: [...e.parents],
    bytes: Buffer.from(e.bytes),
    sig: Buffer.from(e.sig),
    receivedAt: e.receivedAt,
  };
}

function copyInvite(i: InviteRecord): InviteRecord {
  return {
    inviteId: i.inviteId,
    spaceId: i.spaceId,
    role: i.role,
    createdAt: i.createdAt,
    expiresAt: i.expiresAt,
    maxUses: i.maxUses,
    code: i.code,
    revoked: i.revoked,
    grants: i.grants.map((g) => ({ folderId: g.folderId, access: g.access })),
  };
}

function copyPeer(p: PeerRecord): PeerRecord {
  return { deviceId: p.deviceId, name: p.name, addresses: [...p.addresses], lastSeen: p.lastSeen };
}

function copyMaybe<T>(value: T | undefined, copy: (v: T) => T): T | undefined {
  return value === undefined ? undefined : copy(value);
}

/** Comparator over a sort key tuple, matching SQLite's ORDER BY on numbers and (ASCII) text. */
function by<T>(key: (v: T) => (string | number)[]): (a: T, b: T) => number {
  return (a, b) => {
    const ka = key(a);
    const kb = key(b);
    for (let i = 0; i < ka.length; i++) {
      const x = ka[i] as string | number;
      const y = kb[i] as string | number;
      if (x < y) return -1;
      if (x > y) return 1;
    }
    return 0;
  };
}

import { generateKeyPair } from '../../src/core/crypto.js';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { createMemoryStore } from '../../src/adapters/store-memory/index.js';
import type { MemoryNetworkHub } from '../../src/adapters/network-memory/index.js';
import type { AgoraNode } from '../../src/node/agora-node.js';
import type { KeyPair } from '../../src/ports/network.js';
import type { Store } from '../../src/ports/store.js';
import type { Simulation } from './harness.js';

/** Store methods that write; every call to them is kept by a tapped store. */
const WRITES: Record<string, readonly string[]> = {
  spaces: ['put', 'delete'],
  log: ['append', 'putName'],
  invites: ['put'],
  peers: ['upsert'],
  settings: ['set'],
  folders: ['put', 'delete'],
  index: ['putLocal', 'putRemote', 'dropRemote'],
  chat: ['add', 'setPeerState', 'setReadMark', 'putAttachment'],
  fileHistory: ['append', 'prune'],
};

export interface TappedStore {
  store: Store;
  /** Every write ever made, with its arguments (as passed), oldest first. */
  writes: { repo: string; method: string; args: unknown[] }[];
}

/**
 * A memory store that also keeps every write made to it: a scan of `writes` covers whatever
 * the store ever held, even if it was overwritten or deleted later.
 */
export function tappedStore(): TappedStore {
  const inner = createMemoryStore();
  const writes: TappedStore['writes'] = [];
  const wrap = <R extends object>(repoName: string, repo: R): R =>
    new Proxy(repo, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function' || typeof key !== 'string' || !WRITES[repoName]?.includes(key)) return value;
        return (...args: unknown[]) => {
          writes.push({ repo: repoName, method: key, args: structuredClone(args) });
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const store: Store = {
    spaces: wrap('spaces', inner.spaces),
    log: wrap('log', inner.log),
    invites: wrap('invites', inner.invites),
    peers: wrap('peers', inner.peers),
    settings: wrap('settings', inner.settings),
    chat: wrap('chat', inner.chat),
    fileHistory: wrap('fileHistory', inner.fileHistory),
    folders: wrap('folders', inner.folders),
    index: wrap('index', inner.index),
    transaction: (fn) => inner.transaction(fn),
    close: () => inner.close(),
  };
  return { store, writes };
}

/** Everything a store holds now, read back through the port: spaces, log bytes, names, invites, peers, folders, index, file history. */
export function storeContents(store: Store): unknown {
  const spaces = store.spaces.list();
  const folders = store.folders.list();
  return {
    spaces,
    log: spaces.map((s) => ({ entries: store.log.list(s.spaceId), stubs: store.log.stubs(s.spaceId), names: store.log.names(s.spaceId), invites: store.invites.list(s.spaceId) })),
    peers: store.peers.list(),
    folders,
    index: folders.map((f) => ({
      local: store.index.listLocal(f.folderId),
      remote: store.index.remoteDevices(f.folderId).map((d) => ({ device: d, state: store.index.remoteState(f.folderId, d), records: store.index.listRemote(f.folderId, d) })),
      history: store.fileHistory.list(f.folderId, { limit: Infinity }),
    })),
  };
}

/** Boots a simulation node on a store of the test's choosing (a tapped one, say). */
export async function nodeWithStore(sim: Simulation, name: string, store: Store): Promise<AgoraNode> {
  const disk = new MemoryFs({ now: () => sim.clock.now() });
  const boot = sim['boot'].bind(sim) as (name: string, keyPair: KeyPair, disk: MemoryFs, store: Store) => Promise<AgoraNode>;
  return boot(name, generateKeyPair(), disk, store);
}

/** The raw store behind a simulation node (what outlives its process). */
export function rawStore(sim: Simulation, node: AgoraNode): Store {
  const parts = sim['persisted'].get(node);
  if (!parts) throw new Error('not a node of this simulation');
  return parts.store;
}

export interface Finding {
  where: string;
  needle: string;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Where any of `needles` occurs in `value`: every string, every map key and every byte array
 * (read as UTF-8 when it is text; random binary such as hashes and signatures is searched
 * only for needles of 8 bytes or more, so that three random bytes cannot spell "Bob").
 */
export function findForbidden(value: unknown, needles: readonly string[], where = '$', seen = new Set<object>()): Finding[] {
  const out: Finding[] = [];
  const text = (s: string, at: string) => {
    for (const n of needles) if (s.includes(n)) out.push({ where: at, needle: n });
  };
  if (typeof value === 'string') {
    text(value, where);
    return out;
  }
  if (value instanceof Uint8Array) {
    const bytes = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    let decoded: string | null;
    try {
      decoded = utf8.decode(bytes);
    } catch {
      decoded = null; // not text: hashes, signatures, secrets
    }
    if (decoded !== null) text(decoded, `${where}<utf8>`);
    else for (const n of needles) if (Buffer.byteLength(n) >= 8 && bytes.includes(Buffer.from(n))) out.push({ where: `${where}<bytes>`, needle: n });
    return out;
  }
  if (value === null || typeof value !== 'object') return out;
  if (seen.has(value)) return out;
  seen.add(value);
  if (value instanceof Map) {
    for (const [k, v] of value) {
      out.push(...findForbidden(k, needles, `${where}{key}`, seen));
      out.push(...findForbidden(v, needles, `${where}[${String(k).slice(0, 16)}]`, seen));
    }
    return out;
  }
  if (value instanceof Set || Array.isArray(value)) {
    let i = 0;
    for (const v of value) out.push(...findForbidden(v, needles, `${where}[${i++}]`, seen));
    return out;
  }
  for (const [k, v] of Object.entries(value)) {
    out.push(...findForbidden(k, needles, `${where}{key ${k.slice(0, 16)}}`, seen));
    out.push(...findForbidden(v, needles, `${where}.${k}`, seen));
  }
  return out;
}

/** Every connection ever opened on the hub, as unordered pairs of device ids. */
export function recordLinks(hub: MemoryNetworkHub): { pairs: Set<string>; ever(a: string, b: string): boolean } {
  const pairs = new Set<string>();
  const key = (a: string, b: string) => (a < b ? `${a}|${b}` : `${b}|${a}`);
  const original = hub['link'].bind(hub) as (from: { id: string }, target: { id: string }) => unknown;
  (hub as unknown as { link: typeof original }).link = (from, target) => {
    pairs.add(key(from.id, target.id));
    return original(from, target);
  };
  return { pairs, ever: (a, b) => pairs.has(key(a, b)) };
}

/** Open connections of the hub that involve `id`. */
export function openLinks(hub: MemoryNetworkHub, id: string): number {
  return [...hub['links']].filter((l) => l.a.id === id || l.b.id === id).length;
}

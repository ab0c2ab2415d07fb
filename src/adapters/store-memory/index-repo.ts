import type { BlockLocation, FolderRecord, FolderRepo, IndexCounts, IndexRepo, PathPage, RemoteIndexState } from '../../ports/store.js';
import { compareText, type BlockRef, type FileRecord, type LocalFileRecord } from '../../protocol/index.js';
import type { Journal } from './journal.js';

/**
 * The folders and sync-index repositories of the memory store, mirroring the SQLite adapter's
 * (store-sqlite/index-repo.ts): same orders, same block finder answers, same refusals, and every
 * write goes through the journal so transaction() can undo it.
 */

/** Where each block hash sits in one folder: hex hash -> path -> first place in that file. */
type Finder = Map<string, Map<string, BlockLocation>>;

interface Remote {
  state: RemoteIndexState;
  records: Map<string, FileRecord>;
}

export function createMemoryIndex(journal: Journal): { folders: FolderRepo; index: IndexRepo } {
  const folders = new Map<string, FolderRecord>();
  const local = new Map<string, Map<string, LocalFileRecord>>();
  const finders = new Map<string, Finder>();
  const remotes = new Map<string, Map<string, Remote>>();

  /** The inner map under `key`, created (undoably) on first write. */
  function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
    let map = outer.get(key);
    if (!map) {
      map = new Map();
      journal.set(outer, key, map);
    }
    return map;
  }

  function addBlocks(folderId: string, r: LocalFileRecord): void {
    // Only live files have content to copy from; an empty block has nothing to read.
    if (r.deleted || r.type !== 'file') return;
    const finder = inner(finders, folderId);
    let offset = 0;
    for (const b of r.blocks) {
      const places = b.size > 0 ? inner(finder, b.hash.toString('hex')) : undefined;
      // The first place in the file wins, as ORDER BY offset does in SQLite.
      if (places && !places.has(r.path)) journal.set(places, r.path, { path: r.path, offset, size: b.size });
      offset += b.size;
    }
  }

  function removeBlocks(folderId: string, r: LocalFileRecord): void {
    const finder = finders.get(folderId);
    for (const b of r.blocks) {
      const places = finder?.get(b.hash.toString('hex'));
      if (places) journal.delete(places, r.path);
    }
  }

  /** The first place of a hash in path order, as the SQLite adapter answers. */
  function locate(folderId: string, hex: string): BlockLocation | undefined {
    let best: BlockLocation | undefined;
    for (const place of finders.get(folderId)?.get(hex)?.values() ?? []) {
      if (!best || compareText(place.path, best.path) < 0) best = place;
    }
    return best && { ...best };
  }

  const folderRepo: FolderRepo = {
    put: (f) => journal.set(folders, f.folderId, copyFolder(f)),
    get: (folderId) => {
      const f = folders.get(folderId);
      return f && copyFolder(f);
    },
    list: (spaceId) =>
      [...folders.values()]
        .filter((f) => spaceId === undefined || f.spaceId === spaceId)
        .sort((a, b) => a.createdAt - b.createdAt || compareText(a.folderId, b.folderId))
        .map(copyFolder),
    // Same cascade as the SQLite adapter: every device's records and the block finder go too.
    delete: (folderId) =>
      journal.run(() => {
        journal.delete(local, folderId);
        journal.delete(finders, folderId);
        journal.delete(remotes, folderId);
        journal.delete(folders, folderId);
      }),
  };

  const indexRepo: IndexRepo = {
    putLocal: (folderId, records) =>
      journal.run(() => {
        const own = inner(local, folderId);
        for (const r of records) {
          const stored = copyLocal(r);
          const old = own.get(r.path);
          if (old) removeBlocks(folderId, old);
          journal.set(own, r.path, stored);
          addBlocks(folderId, stored);
        }
      }),
    getLocal: (folderId, path) => {
      const r = local.get(folderId)?.get(path);
      return r && copyLocal(r);
    },
    listLocal: (folderId, page) => inPage(byPath(local.get(folderId)), page).map(copyLocal),
    localSince: (folderId, after, limit) =>
      [...(local.get(folderId)?.values() ?? [])]
        .filter((r) => r.sequence > after)
        .sort((a, b) => a.sequence - b.sequence)
        .slice(0, Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : undefined)
        .map(copyFile),
    localSequence: (folderId) => highestSequence(local.get(folderId)?.values() ?? []),

    putRemote: (folderId, deviceId, indexId, records) =>
      journal.run(() => {
        const devices = inner(remotes, folderId);
        const old = devices.get(deviceId);
        const copies = records.map(copyFile);
        const max = highestSequence(copies);
        // Same index id: keep the highest sequence seen; a new index id starts from its own records.
        const maxSequence = old?.state.indexId === indexId ? Math.max(old.state.maxSequence, max) : max;
        const remote: Remote = { state: { indexId, maxSequence }, records: old?.records ?? new Map() };
        journal.set(devices, deviceId, remote);
        for (const r of copies) journal.set(remote.records, r.path, r);
      }),
    getRemote: (folderId, deviceId, path) => {
      const r = remotes.get(folderId)?.get(deviceId)?.records.get(path);
      return r && copyFile(r);
    },
    remoteSigs: (folderId, deviceId, paths) => {
      const records = remotes.get(folderId)?.get(deviceId)?.records;
      const out = new Map<string, Buffer>();
      for (const path of paths) {
        const r = records?.get(path);
        if (r) out.set(path, Buffer.from(r.sig));
      }
      return out;
    },
    listRemote: (folderId, deviceId, page) => inPage(byPath(remotes.get(folderId)?.get(deviceId)?.records), page).map(copyFile),
    remoteState: (folderId, deviceId) => {
      const state = remotes.get(folderId)?.get(deviceId)?.state;
      return state && { ...state };
    },
    remoteDevices: (folderId) => [...(remotes.get(folderId)?.keys() ?? [])].sort(compareText),
    dropRemote: (folderId, deviceId) => {
      const devices = remotes.get(folderId);
      if (devices) journal.delete(devices, deviceId);
    },

    recordsForPath: (folderId, path, selfId) => {
      const out: { deviceId: string; record: FileRecord }[] = [];
      const own = local.get(folderId)?.get(path);
      if (own) out.push({ deviceId: selfId, record: copyFile(own) });
      for (const [deviceId, remote] of remotes.get(folderId) ?? []) {
        const r = remote.records.get(path);
        if (r) out.push({ deviceId, record: copyFile(r) });
      }
      return out.sort((a, b) => compareText(a.deviceId, b.deviceId));
    },
    findBlock: (folderId, hash) => locate(folderId, hash.toString('hex')),
    findBlocks: (folderId, hashes) => {
      const found = new Map<string, BlockLocation>();
      for (const hash of hashes) {
        const hex = hash.toString('hex');
        const place = locate(folderId, hex);
        if (place) found.set(hex, place);
      }
      return found;
    },
    localCounts: (folderId) => {
      const counts: IndexCounts = { files: 0, dirs: 0, deleted: 0, bytes: 0 };
      for (const r of local.get(folderId)?.values() ?? []) {
        if (r.deleted) counts.deleted += 1;
        else if (r.type === 'dir') counts.dirs += 1;
        else {
          counts.files += 1;
          counts.bytes += r.size;
        }
      }
      return counts;
    },
  };

  return { folders: folderRepo, index: indexRepo };
}

/** A loop, not Math.max(...spread): a folder can hold more records than a call has arguments. */
function highestSequence(records: Iterable<FileRecord>): number {
  let max = 0;
  for (const r of records) max = Math.max(max, r.sequence);
  return max;
}

function byPath<R extends FileRecord>(records: Map<string, R> | undefined): R[] {
  return [...(records?.values() ?? [])].sort((a, b) => compareText(a.path, b.path));
}

function inPage<R extends FileRecord>(sorted: R[], page: PathPage | undefined): R[] {
  if (!page) return sorted;
  const from = sorted.findIndex((r) => compareText(r.path, page.after) > 0);
  const limit = Number.isFinite(page.limit) ? Math.max(0, Math.floor(page.limit)) : sorted.length;
  return from < 0 ? [] : sorted.slice(from, from + limit);
}

// Field by field, not spread: like a table row, a stored record keeps only the port's fields.
function copyFolder(f: FolderRecord): FolderRecord {
  return {
    folderId: f.folderId,
    spaceId: f.spaceId,
    name: f.name,
    path: f.path,
    state: f.state,
    indexId: f.indexId,
    createdAt: f.createdAt,
  };
}

function copyFile(r: FileRecord): FileRecord {
  return {
    path: r.path,
    type: r.type,
    size: r.size,
    mtimeMs: r.mtimeMs,
    mode: r.mode,
    deleted: r.deleted,
    version: r.version.map((c) => ({ device: c.device, value: c.value })),
    modifiedBy: r.modifiedBy,
    sequence: r.sequence,
    blocks: r.blocks.map(copyBlock),
    sig: Buffer.from(r.sig),
    at: [...r.at],
  };
}

function copyLocal(r: LocalFileRecord): LocalFileRecord {
  const record = copyFile(r) as LocalFileRecord;
  record.local = { inode: r.local.inode, statMtimeMs: r.local.statMtimeMs };
  return record;
}

/** Refuses what the SQLite adapter's compact block encoding refuses (store-sqlite/file-rows.ts). */
function copyBlock(b: BlockRef): BlockRef {
  if (b.hash.length !== 32) throw new RangeError(`block hash must be 32 bytes, got ${b.hash.length}`);
  if (!Number.isInteger(b.size) || b.size < 0 || b.size > 0xffffffff) throw new RangeError(`block size must be a uint32, got ${b.size}`);
  return { hash: Buffer.from(b.hash), size: b.size };
}

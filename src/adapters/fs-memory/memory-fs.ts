import { InvalidNameError } from '../../errors/index.js';
import type { FolderFs, FsEntryType, FsPort } from '../../ports/fs.js';
import { fsErrorFor } from '../fs-common/fs-errors.js';
import { splitRelativePath } from '../fs-common/relative-path.js';
import { WriteFailures } from './memory-handles.js';
import { MemoryFolderFs } from './memory-folder.js';
import { MemoryTree, type MemEntry } from './tree.js';

export interface MemoryFsOptions {
  /** Source of mtimes (ms since epoch); a simulation passes its manual clock. Default Date.now. */
  now?: () => number;
  /** Space shared by every folder of this fs; writes past it fail with DISK_FULL. Default 1 TiB. */
  capacityBytes?: number;
  /** Whether cloneFile clones, as on Btrfs, XFS or APFS; default false, as on ext4. */
  reflinks?: boolean;
}

export interface MemorySnapshotEntry {
  type: FsEntryType;
  mode: number;
  /** File contents (files only). */
  bytes?: Buffer;
  /** Link target (links only). */
  target?: string;
}

/**
 * An in-memory FsPort for simulations. Besides the port it has hooks for what a simulation needs:
 * `user*` acts as the person at the keyboard (these changes reach MemoryWatcher like the engine's
 * own writes do), `failNextWrites` makes writes fail with DISK_FULL, and `snapshot` captures a
 * folder for comparing what two nodes hold. Hooks take the folder's absolute root and a
 * folder-relative path, checked like the port's paths.
 */
export class MemoryFs implements FsPort {
  readonly tree: MemoryTree;
  private readonly failures = new WriteFailures();
  private readonly reflinks: boolean;

  constructor(options: MemoryFsOptions = {}) {
    this.tree = new MemoryTree(options.now ?? Date.now, options.capacityBytes ?? 2 ** 40);
    this.reflinks = options.reflinks ?? false;
  }

  async folder(root: string, options: { create?: boolean } = {}): Promise<FolderFs> {
    const segments = splitRoot(root);
    const canonical = `/${segments.join('/')}`;
    if (options.create) this.ensureDirs(canonical, segments);
    const entry = this.tree.lookup(segments);
    if (!entry) throw fsErrorFor('ENOENT', 'open', canonical, '', 'it does not exist; create it or pick another folder');
    if (entry.kind !== 'dir') throw fsErrorFor('ENOTDIR', 'open', canonical, '', 'it is not a folder');
    return new MemoryFolderFs(canonical, this.tree, this.failures, this.reflinks);
  }

  /** The next `count` WriteHandle.write calls (any folder) fail with DISK_FULL; 0 cancels. */
  failNextWrites(count: number): void {
    this.failures.failNext(count);
  }

  /** Writes a whole file as the user would: parents created, contents replaced in place. */
  userWrite(root: string, path: string, data: Buffer | string, options: { mode?: number; mtimeMs?: number } = {}): void {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const segments = this.absolute(root, path);
    this.ensureDirs(root, segments.slice(0, -1));
    const parent = this.dirAt(segments.slice(0, -1), root, path);
    const name = segments[segments.length - 1] as string;
    let file = parent.children.get(name);
    if (!file) {
      file = this.tree.newFile(0o644);
      this.tree.attach(parent, name, file);
    }
    if (file.kind !== 'file') throw fsErrorFor('EISDIR', 'write', root, path, `it is a ${file.kind}, not a file`);
    const place = { root, path, segments, rootDepth: splitRoot(root).length };
    this.tree.resize(file, 0, place, 'write');
    this.tree.resize(file, bytes.length, place, 'write');
    bytes.copy(file.data);
    if (options.mode !== undefined) file.mode = options.mode & 0o777;
    file.mtimeMs = options.mtimeMs ?? this.tree.now();
    this.tree.changed(segments);
  }

  userMkdir(root: string, path: string): void {
    this.ensureDirs(root, this.absolute(root, path));
  }

  /** Deletes a file, link or whole folder; every path removed is reported, as inotify would. */
  userDelete(root: string, path: string): void {
    const segments = this.absolute(root, path);
    const parent = this.tree.lookup(segments.slice(0, -1));
    const name = segments[segments.length - 1] as string;
    if (parent?.kind !== 'dir' || !parent.children.has(name)) return;
    const removed = this.tree.detach(parent, name) as MemEntry;
    walk(removed, segments, (at) => this.tree.changed(at));
  }

  /** Renames (replacing the target) as the user would; editors save this way too. */
  userRename(root: string, from: string, to: string): void {
    const source = this.absolute(root, from);
    const target = this.absolute(root, to);
    const sourceParent = this.dirAt(source.slice(0, -1), root, from);
    const entry = sourceParent.children.get(source[source.length - 1] as string);
    if (!entry) throw fsErrorFor('ENOENT', 'rename', root, from, 'no such file or folder');
    this.ensureDirs(root, target.slice(0, -1));
    const targetParent = this.dirAt(target.slice(0, -1), root, to);
    this.tree.detach(sourceParent, source[source.length - 1] as string);
    this.tree.detach(targetParent, target[target.length - 1] as string);
    this.tree.attach(targetParent, target[target.length - 1] as string, entry);
    this.tree.changed(source);
    this.tree.changed(target);
  }

  /** Creates a symbolic link; MemoryFs never follows it, it only refuses to write through it. */
  userSymlink(root: string, path: string, target: string): void {
    const segments = this.absolute(root, path);
    this.ensureDirs(root, segments.slice(0, -1));
    const parent = this.dirAt(segments.slice(0, -1), root, path);
    this.tree.attach(parent, segments[segments.length - 1] as string, this.tree.newLink(target));
    this.tree.changed(segments);
  }

  /**
   * Every entry under `root` by folder-relative path, sorted, root excluded. Top-level names in
   * `ignore` (default: the engine's own '.agora') are left out, since they differ between nodes.
   */
  snapshot(root: string, options: { ignore?: readonly string[] } = {}): Record<string, MemorySnapshotEntry> {
    const ignore = new Set(options.ignore ?? ['.agora']);
    const rootSegments = splitRoot(root);
    const top = this.dirAt(rootSegments, root, '');
    const found: [string, MemorySnapshotEntry][] = [];
    for (const [name, child] of top.children) {
      if (ignore.has(name)) continue;
      walk(child, [name], (at, entry) => found.push([at.join('/'), snapshotOf(entry)]));
    }
    found.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(found);
  }

  private absolute(root: string, path: string): string[] {
    const relative = splitRelativePath(path);
    if (relative.length === 0) throw new InvalidNameError('A user action needs a path inside the folder, not the folder itself.');
    return [...splitRoot(root), ...relative];
  }

  private dirAt(segments: readonly string[], root: string, path: string) {
    const entry = this.tree.lookup(segments);
    if (entry?.kind !== 'dir') throw fsErrorFor('ENOENT', 'find', root, path, 'the parent folder does not exist');
    return entry;
  }

  private ensureDirs(root: string, segments: readonly string[]): void {
    let dir = this.tree.top;
    for (let depth = 0; depth < segments.length; depth++) {
      const name = segments[depth] as string;
      let child = dir.children.get(name);
      if (!child) {
        child = this.tree.newDir(0o755);
        this.tree.attach(dir, name, child);
        this.tree.changed(segments.slice(0, depth + 1));
      }
      if (child.kind !== 'dir') throw fsErrorFor('ENOTDIR', 'create the folder', root, segments.join('/'), 'a file is in the way');
      dir = child;
    }
  }
}

function splitRoot(root: string): string[] {
  if (!root.startsWith('/')) throw new InvalidNameError(`A memory folder root must be absolute ('/...'), not ${JSON.stringify(root)}.`);
  return root === '/' ? [] : splitRelativePath(root.slice(1).replace(/\/$/, ''));
}

function walk(entry: MemEntry, at: readonly string[], visit: (at: readonly string[], entry: MemEntry) => void): void {
  visit(at, entry);
  if (entry.kind === 'dir') for (const [name, child] of entry.children) walk(child, [...at, name], visit);
}

function snapshotOf(entry: MemEntry): MemorySnapshotEntry {
  if (entry.kind === 'file') return { type: 'file', mode: entry.mode, bytes: Buffer.from(entry.data.subarray(0, entry.size)) };
  if (entry.kind === 'symlink') return { type: 'symlink', mode: entry.mode, target: entry.target };
  return { type: 'dir', mode: entry.mode };
}

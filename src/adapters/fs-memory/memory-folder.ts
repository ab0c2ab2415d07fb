import type { FolderFs, FsDirEntry, FsStat, ReadHandle, WriteHandle } from '../../ports/fs.js';
import { fsErrorFor, linkInPathError, notEmptyError } from '../fs-common/fs-errors.js';
import { splitEntryPath, splitRelativePath } from '../fs-common/relative-path.js';
import { MemoryReadHandle, MemoryWriteHandle, type WriteFailures } from './memory-handles.js';
import { statOf, type MemDir, type MemEntry, type MemoryTree, type Place } from './tree.js';

/**
 * One folder of a MemoryFs, failing like NodeFolderFs: same path checks, same refusal of links
 * among the parents of a write, same error codes and errnos. Links are never followed, not even
 * to read (a link here has no real target); reading below one is like reading a missing path.
 */
export class MemoryFolderFs implements FolderFs {
  private readonly rootSegments: readonly string[];

  constructor(
    readonly root: string,
    private readonly tree: MemoryTree,
    private readonly failures: WriteFailures,
    private readonly reflinks = false,
  ) {
    this.rootSegments = root.split('/').filter((s) => s !== '');
  }

  async lstat(path: string): Promise<FsStat | null> {
    const entry = this.tree.lookup(this.place(path).segments);
    return entry ? statOf(entry) : null;
  }

  async lstatMany(paths: readonly string[]): Promise<(FsStat | null)[]> {
    const places = paths.map((p) => this.place(p)); // every path is checked before any lookup
    return places.map((place) => {
      const entry = this.tree.lookup(place.segments);
      return entry ? statOf(entry) : null;
    });
  }

  async readdir(path: string): Promise<FsDirEntry[]> {
    const dir = this.existingDir(this.place(path), 'list');
    return [...dir.children].map(([name, entry]) => ({ name, type: entry.kind }));
  }

  async openRead(path: string): Promise<ReadHandle> {
    const place = this.place(path);
    const entry = this.existing(place, 'open');
    if (entry.kind === 'symlink') throw fsErrorFor('ELOOP', 'open', this.root, path, 'it is a symbolic link');
    if (entry.kind === 'dir') throw fsErrorFor('EISDIR', 'open', this.root, path, 'it is a folder');
    return new MemoryReadHandle(this.tree, entry, place);
  }

  async openWrite(path: string): Promise<WriteHandle> {
    const op = 'open for writing';
    const place = this.place(path, op);
    const parent = this.tree.parentForWrite(place, op);
    const name = lastOf(place);
    let entry = parent.children.get(name);
    if (!entry) {
      entry = this.tree.newFile(0o644);
      this.tree.attach(parent, name, entry);
      this.tree.changed(place.segments);
    }
    if (entry.kind === 'symlink') throw fsErrorFor('ELOOP', op, this.root, path, 'it is a symbolic link');
    if (entry.kind === 'dir') throw fsErrorFor('EISDIR', op, this.root, path, 'it is a folder');
    return new MemoryWriteHandle(this.tree, entry, place, this.failures);
  }

  async mkdir(path: string): Promise<void> {
    const place = this.place(path);
    for (let depth = place.rootDepth + 1; depth <= place.segments.length; depth++) {
      const prefix = { ...place, segments: place.segments.slice(0, depth) };
      const parent = this.tree.parentForWrite(prefix, 'create the folder');
      const name = lastOf(prefix);
      const existing = parent.children.get(name);
      if (!existing) {
        this.tree.attach(parent, name, this.tree.newDir(0o755));
        this.tree.changed(prefix.segments);
      } else if (existing.kind !== 'dir') {
        const component = prefix.segments.slice(place.rootDepth).join('/');
        throw linkInPathError('create the folder', this.root, path, component, existing.kind === 'symlink');
      }
    }
  }

  async rename(from: string, to: string): Promise<void> {
    const source = this.place(from, 'rename');
    const target = this.place(to, 'rename');
    const sourceParent = this.tree.parentForWrite(source, 'rename');
    const targetParent = this.tree.parentForWrite(target, 'rename');
    const entry = sourceParent.children.get(lastOf(source));
    if (!entry) throw fsErrorFor('ENOENT', 'rename', this.root, from, 'no such file or folder');
    const replaced = targetParent.children.get(lastOf(target));
    if (replaced === entry) return;
    if (entry.kind === 'dir' && isInside(target.segments, source.segments)) {
      throw fsErrorFor('EINVAL', 'rename', this.root, from, 'a folder cannot move inside itself');
    }
    if (replaced) {
      if (replaced.kind === 'dir' && entry.kind !== 'dir') throw fsErrorFor('EISDIR', 'rename', this.root, from, `${to} is a folder`);
      if (replaced.kind !== 'dir' && entry.kind === 'dir') throw fsErrorFor('ENOTDIR', 'rename', this.root, from, `${to} is not a folder`);
      if (replaced.kind === 'dir' && replaced.children.size > 0) throw fsErrorFor('ENOTEMPTY', 'rename', this.root, from, `${to} is not empty`);
    }
    // Detach first so the space of the replaced file is released before the moved one is claimed.
    this.tree.detach(sourceParent, lastOf(source));
    this.tree.detach(targetParent, lastOf(target));
    this.tree.attach(targetParent, lastOf(target), entry);
    this.tree.changed(source.segments);
    this.tree.changed(target.segments);
  }

  async link(from: string, to: string): Promise<void> {
    const source = this.place(from, 'link');
    const target = this.place(to, 'link');
    const sourceParent = this.tree.parentForWrite(source, 'link');
    const targetParent = this.tree.parentForWrite(target, 'link');
    const entry = sourceParent.children.get(lastOf(source));
    if (!entry) throw fsErrorFor('ENOENT', 'link', this.root, from, 'no such file');
    if (entry.kind === 'dir') throw fsErrorFor('EPERM', 'link', this.root, from, 'a folder cannot have a second name');
    if (targetParent.children.has(lastOf(target))) throw fsErrorFor('EEXIST', 'link', this.root, from, `${to} already exists`);
    this.tree.attach(targetParent, lastOf(target), entry);
    this.tree.changed(target.segments);
  }

  async cloneFile(from: string, to: string): Promise<boolean> {
    const source = this.place(from, 'clone');
    const target = this.place(to, 'clone');
    this.tree.parentForWrite(source, 'clone');
    const targetParent = this.tree.parentForWrite(target, 'clone');
    const entry = this.existing(source, 'clone');
    if (entry.kind === 'symlink') throw linkInPathError('clone', this.root, from, from, true);
    if (entry.kind === 'dir') throw fsErrorFor('EISDIR', 'clone', this.root, from, 'it is not a file');
    if (!this.reflinks) return false;
    if (targetParent.children.has(lastOf(target))) throw fsErrorFor('EEXIST', 'clone', this.root, from, `${to} already exists`);
    const clone = this.tree.newFile(entry.mode);
    clone.data = Buffer.from(entry.data.subarray(0, entry.size));
    clone.size = entry.size;
    this.tree.attach(targetParent, lastOf(target), clone);
    this.tree.changed(target.segments);
    return true;
  }

  async unlink(path: string): Promise<void> {
    const place = this.place(path, 'remove');
    const parent = this.parentIfPresent(place, 'remove');
    const entry = parent?.children.get(lastOf(place));
    if (!parent || !entry) return;
    if (entry.kind === 'dir') throw fsErrorFor('EISDIR', 'remove', this.root, path, 'it is a folder');
    this.tree.detach(parent, lastOf(place));
    this.tree.changed(place.segments);
  }

  async rmdir(path: string): Promise<void> {
    const op = 'remove the folder';
    const place = this.place(path, 'remove');
    const parent = this.parentIfPresent(place, 'remove');
    const entry = parent?.children.get(lastOf(place));
    if (!parent || !entry) return;
    if (entry.kind !== 'dir') throw fsErrorFor('ENOTDIR', op, this.root, path, 'it is not a folder');
    if (entry.children.size > 0) throw notEmptyError(this.root, path);
    this.tree.detach(parent, lastOf(place));
    this.tree.changed(place.segments);
  }

  async chmod(path: string, mode: number): Promise<void> {
    const op = 'change permissions of';
    const place = this.place(path);
    if (place.segments.length > place.rootDepth) this.tree.parentForWrite(place, op);
    const entry = this.existing(place, op);
    if (entry.kind === 'symlink') throw linkInPathError(op, this.root, path, path, true);
    entry.mode = mode & 0o777;
    this.tree.changed(place.segments);
  }

  async setMtime(path: string, mtimeMs: number): Promise<void> {
    const op = 'set the time of';
    const place = this.place(path);
    if (place.segments.length > place.rootDepth) this.tree.parentForWrite(place, op);
    this.existing(place, op).mtimeMs = mtimeMs;
    this.tree.changed(place.segments);
  }

  async syncDir(path: string): Promise<void> {
    this.existing(this.place(path), 'flush the folder');
  }

  async availableBytes(): Promise<number> {
    this.existingDir(this.place(''), 'measure free space for');
    return this.tree.available();
  }

  private place(path: string, refuseRootFor?: string): Place {
    const relative = refuseRootFor ? splitEntryPath(path, refuseRootFor) : splitRelativePath(path);
    return { root: this.root, path, segments: [...this.rootSegments, ...relative], rootDepth: this.rootSegments.length };
  }

  /** The parent folder, or undefined if it is already gone (removing a gone entry is no error). */
  private parentIfPresent(place: Place, op: string): MemDir | undefined {
    try {
      return this.tree.parentForWrite(place, op);
    } catch (err) {
      if ((err as { details?: { errno?: string } }).details?.errno === 'ENOENT') return undefined;
      throw err;
    }
  }

  private existing(place: Place, op: string): MemEntry {
    const entry = this.tree.lookup(place.segments);
    if (!entry) throw fsErrorFor('ENOENT', op, this.root, place.path, 'no such file or folder');
    return entry;
  }

  private existingDir(place: Place, op: string): MemDir {
    const entry = this.existing(place, op);
    if (entry.kind !== 'dir') throw fsErrorFor('ENOTDIR', op, this.root, place.path, 'it is not a folder');
    return entry;
  }
}

function lastOf(place: Place): string {
  return place.segments[place.segments.length - 1] as string;
}

function isInside(candidate: readonly string[], ancestor: readonly string[]): boolean {
  return candidate.length > ancestor.length && ancestor.every((name, i) => candidate[i] === name);
}

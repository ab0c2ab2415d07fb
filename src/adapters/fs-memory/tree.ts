import type { FsStat } from '../../ports/fs.js';
import { fsErrorFor, linkInPathError } from '../fs-common/fs-errors.js';

/**
 * The state of a MemoryFs: one tree of directories, files and links from an absolute '/', plus
 * the inode counter, the clock, the space accounting and the change listeners. Entries are
 * objects shared by reference, so an open handle keeps working on a file that was renamed or
 * unlinked after opening, as it does on a real disk.
 */

interface Meta {
  ino: number;
  mode: number;
  mtimeMs: number;
}
export interface MemDir extends Meta {
  kind: 'dir';
  children: Map<string, MemEntry>;
}
export interface MemFile extends Meta {
  kind: 'file';
  /** Capacity may exceed size so that appends do not copy the whole file each time. */
  data: Buffer;
  size: number;
  /** Names this file has (hard links); its space is counted once, while it has any. */
  names: number;
}
export interface MemLink extends Meta {
  kind: 'symlink';
  target: string;
}
export type MemEntry = MemDir | MemFile | MemLink;

/** An absolute location in the tree, and how to name it in errors (folder root + relative path). */
export interface Place {
  root: string;
  path: string;
  /** Absolute names: the root's, then the path's. */
  segments: readonly string[];
  /** How many of `segments` belong to the root. */
  rootDepth: number;
}

export type ChangeListener = (absolute: readonly string[]) => void;

export class MemoryTree {
  private inodes = 0;
  private usedBytes = 0;
  private readonly listeners = new Set<ChangeListener>();
  readonly top: MemDir;

  constructor(
    readonly now: () => number,
    readonly capacityBytes: number,
  ) {
    this.top = this.newDir(0o755);
  }

  newDir(mode: number): MemDir {
    return { kind: 'dir', ino: ++this.inodes, mode, mtimeMs: this.now(), children: new Map() };
  }

  newFile(mode: number): MemFile {
    return { kind: 'file', ino: ++this.inodes, mode, mtimeMs: this.now(), data: Buffer.alloc(0), size: 0, names: 0 };
  }

  newLink(target: string): MemLink {
    return { kind: 'symlink', ino: ++this.inodes, mode: 0o777, mtimeMs: this.now(), target };
  }

  /** The entry at `segments`, not following links anywhere; undefined if missing or below a non-folder. */
  lookup(segments: readonly string[]): MemEntry | undefined {
    let entry: MemEntry = this.top;
    for (const name of segments) {
      if (entry.kind !== 'dir') return undefined;
      const child = entry.children.get(name);
      if (!child) return undefined;
      entry = child;
    }
    return entry;
  }

  /**
   * The folder that holds `place`, for an operation that writes: a link or a non-folder among the
   * parents is refused exactly as NodeFolderFs refuses it; a missing parent is ENOENT.
   */
  parentForWrite(place: Place, op: string): MemDir {
    let dir = this.top;
    const parents = place.segments.slice(0, -1);
    // Components of the root itself are trusted, as on disk; only names below it are checked.
    const { rootDepth } = place;
    for (let depth = 0; depth < parents.length; depth++) {
      const child = dir.children.get(parents[depth] as string);
      if (!child) throw fsErrorFor('ENOENT', op, place.root, place.path, 'a parent folder does not exist');
      if (child.kind !== 'dir') {
        if (depth < rootDepth) throw fsErrorFor('ENOTDIR', op, place.root, place.path, 'the folder root is not a folder');
        const component = parents.slice(rootDepth, depth + 1).join('/');
        throw linkInPathError(op, place.root, place.path, component, child.kind === 'symlink');
      }
      dir = child;
    }
    return dir;
  }

  /** Removes the entry from its folder, releasing its space and touching the folder's mtime. */
  detach(parent: MemDir, name: string): MemEntry | undefined {
    const entry = parent.children.get(name);
    if (!entry) return undefined;
    parent.children.delete(name);
    parent.mtimeMs = this.now();
    this.release(entry);
    return entry;
  }

  attach(parent: MemDir, name: string, entry: MemEntry): void {
    parent.children.set(name, entry);
    parent.mtimeMs = this.now();
    this.claim(entry);
  }

  /** Grows or shrinks a file to `size`, zero-filling; throws ENOSPC past the capacity. */
  resize(file: MemFile, size: number, place: Place, op: string): void {
    // A file with no name left (unlinked while open) is not counted, so growing it is not either.
    const counted = file.names > 0;
    if (counted && size > file.size && this.usedBytes + (size - file.size) > this.capacityBytes) {
      throw fsErrorFor('ENOSPC', op, place.root, place.path, 'no space left on device');
    }
    if (size > file.data.length) {
      const grown = Buffer.alloc(Math.max(size, file.data.length * 2));
      file.data.copy(grown, 0, 0, file.size);
      file.data = grown;
    } else if (size < file.size) {
      // Bytes past the end must read as zeros if the file grows again.
      file.data.fill(0, size, file.size);
    }
    if (counted) this.usedBytes += size - file.size;
    file.size = size;
  }

  available(): number {
    return Math.max(0, this.capacityBytes - this.usedBytes);
  }

  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed(segments: readonly string[]): void {
    for (const listener of [...this.listeners]) listener(segments);
  }

  private claim(entry: MemEntry): void {
    if (entry.kind === 'file' && entry.names++ === 0) this.usedBytes += entry.size;
    if (entry.kind === 'dir') for (const child of entry.children.values()) this.claim(child);
  }

  private release(entry: MemEntry): void {
    if (entry.kind === 'file' && --entry.names === 0) this.usedBytes -= entry.size;
    if (entry.kind === 'dir') for (const child of entry.children.values()) this.release(child);
  }
}

export function statOf(entry: MemEntry): FsStat {
  const size = entry.kind === 'file' ? entry.size : entry.kind === 'symlink' ? Buffer.byteLength(entry.target) : 0;
  return { type: entry.kind, size, mtimeMs: entry.mtimeMs, mode: entry.mode, inode: entry.ino };
}

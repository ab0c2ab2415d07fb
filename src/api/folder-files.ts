import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, type ReadStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { DirEntry } from '../contract/api.js';
import { isEngineDirName, isTempName, parseConflictName, TEMP_PREFIX, validateRelativePath } from '../core/sync/names/index.js';
import { AgoraError, NotFoundError } from '../errors/index.js';

/**
 * The web app's view of a folder's files on this device. Every path from the browser passes
 * validateRelativePath (the sync engine's own wall), and the real path of what it names must
 * stay inside the folder, so a symbolic link inside the folder cannot lead out of it.
 */
export class FolderFiles {
  constructor(private readonly root: string) {}

  async list(rel: string): Promise<DirEntry[]> {
    const { abs, path } = await this.inside(rel);
    const info = await stat(abs).catch(() => null);
    if (!info?.isDirectory()) throw new NotFoundError(`There is no directory "${path || '/'}" in this folder.`);
    const entries: DirEntry[] = [];
    for (const e of await readdir(abs, { withFileTypes: true })) {
      if (isTempName(e.name) || (path === '' && isEngineDirName(e.name))) continue;
      if (!e.isFile() && !e.isDirectory()) continue; // links and special files are not synced
      const s = await stat(join(abs, e.name)).catch(() => null);
      if (!s) continue; // deleted meanwhile
      entries.push({
        name: e.name.normalize('NFC'),
        path: (path ? `${path}/${e.name}` : e.name).normalize('NFC'),
        type: e.isDirectory() ? 'dir' : 'file',
        size: e.isDirectory() ? 0 : s.size,
        mtime: s.mtime.toISOString(),
      });
    }
    return entries.sort((a, b) => Number(b.type === 'dir') - Number(a.type === 'dir') || a.name.localeCompare(b.name));
  }

  async open(rel: string): Promise<{ stream: ReadStream; size: number; name: string }> {
    const { abs, path } = await this.inside(rel, true);
    const info = await lstat(abs).catch(() => null);
    if (!info?.isFile()) throw new NotFoundError(`There is no file "${path}" in this folder.`);
    return { stream: createReadStream(abs), size: info.size, name: basename(abs) };
  }

  /**
   * Streams a body into a temp file beside the target (a name the scanner ignores) and renames
   * it into place, so the watcher sees one whole new file and never half of one.
   */
  async write(rel: string, body: Readable, overwrite: boolean): Promise<{ path: string; size: number }> {
    const { abs, path } = await this.inside(rel, true);
    const existing = await lstat(abs).catch(() => null);
    if (existing?.isDirectory()) throw new AgoraError('CONFLICT', `"${path}" is a directory; choose another name.`);
    if (existing && !overwrite) throw new AgoraError('CONFLICT', `"${path}" already exists. Upload it again and choose to replace it, or rename your file.`);
    // Parent directories are made as needed (a whole directory is uploaded one file at a time).
    await mkdir(dirname(abs), { recursive: true }).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST' || err.code === 'ENOTDIR') throw new AgoraError('CONFLICT', `A file is in the way of the directories of "${path}"; rename it first.`);
      throw err;
    });
    await this.inside(rel, true); // the directories just made hold no links, but check anyway
    const temp = join(dirname(abs), `${TEMP_PREFIX}${randomBytes(6).toString('hex')}-upload`);
    try {
      const out = createWriteStream(temp, { flags: 'wx', mode: 0o644 });
      await pipeline(body, out);
      await rename(temp, abs);
    } catch (err) {
      await rm(temp, { force: true });
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') throw new AgoraError('DISK_FULL', 'The disk of this computer is full; free some space and try again.');
      throw err;
    }
    return { path, size: (await stat(abs)).size };
  }

  /** keep 'original': delete the copy; 'copy': the copy replaces the original; 'both': the copy gets a plain name. */
  async resolveConflict(copyRel: string, keep: 'original' | 'copy' | 'both'): Promise<string[]> {
    const copy = await this.inside(copyRel, true);
    const parsed = parseConflictName(copy.path);
    if (!parsed) throw new AgoraError('BAD_REQUEST', `"${copy.path}" is not a conflict copy.`);
    if (!(await lstat(copy.abs).catch(() => null))?.isFile()) throw new NotFoundError(`The conflict copy "${copy.path}" is gone (resolved already?).`);
    const original = await this.inside(parsed.original, true);
    if (keep === 'original') {
      await rm(copy.abs);
      return [original.path];
    }
    if (keep === 'copy') {
      await rename(copy.abs, original.abs);
      return [original.path];
    }
    const target = await this.freeName(parsed.original, parsed.device);
    await rename(copy.abs, target.abs);
    return [original.path, target.path];
  }

  private async freeName(original: string, device: string): Promise<{ abs: string; path: string }> {
    const slash = original.lastIndexOf('/');
    const name = original.slice(slash + 1);
    const dot = name.lastIndexOf('.');
    const [stem, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
    for (let n = 1; n < 1000; n++) {
      const candidate = `${original.slice(0, slash + 1)}${stem} (from ${device}${n > 1 ? ` ${n}` : ''})${ext}`;
      const resolved = await this.inside(candidate, true);
      if (!(await lstat(resolved.abs).catch(() => null))) return resolved;
    }
    throw new AgoraError('CONFLICT', `No free name for a copy of "${original}".`);
  }

  /** `rel` validated and joined to the root; the nearest existing ancestor must really be inside. */
  private async inside(rel: string, mustName = false): Promise<{ abs: string; path: string }> {
    if (rel === '' && mustName) throw new AgoraError('BAD_REQUEST', 'Give the path of a file in the folder.');
    const path = rel === '' ? '' : validateRelativePath(rel);
    const rootReal = await realpath(this.root).catch(() => {
      throw new NotFoundError(`The folder's directory ${this.root} does not exist on this computer.`);
    });
    const abs = path === '' ? this.root : join(this.root, ...path.split('/'));
    let probe = mustName ? dirname(abs) : abs;
    for (;;) {
      const real = await realpath(probe).catch(() => null);
      if (real !== null) {
        if (real !== rootReal && !real.startsWith(rootReal + sep)) throw new AgoraError('FORBIDDEN', `"${path}" leads outside the folder.`);
        break;
      }
      if (probe === this.root || dirname(probe) === probe) break;
      probe = dirname(probe);
    }
    return { abs, path };
  }
}

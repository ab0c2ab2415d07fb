/**
 * The contract every FsPort adapter passes. The memory adapter drives simulations, so it must
 * behave like the real disk in everything the sync engine can observe: contents, positions,
 * inodes across renames, permission bits, mtimes, and the same error codes and errnos.
 */
import { dirname } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FolderFs } from '../../src/ports/fs.js';
import { expectFsError, names, readBytes, readText, writeText, type FsFixture } from './fs-suite-fixtures.js';
import { registerSafetyTests } from './fs-suite-safety.js';

export type { FsFixture } from './fs-suite-fixtures.js';

export function describeFsPort(name: string, factory: () => Promise<FsFixture>): void {
  describe(`Fs port: ${name}`, () => {
    let fx: FsFixture;
    let folder: FolderFs;
    beforeEach(async () => {
      fx = await factory();
      folder = await fx.fs.folder(fx.root, { create: true });
    });
    afterEach(() => fx.cleanup());

    describe('folder()', () => {
      it('creates a missing root with its parents when asked', async () => {
        const nested = await fx.fs.folder(`${fx.root}/deeper/still`, { create: true });
        expect((await folder.lstat('deeper/still'))?.type).toBe('dir');
        expect(await nested.readdir('')).toEqual([]);
      });

      it('refuses a missing root or a file as root otherwise', async () => {
        await expectFsError(fx.fs.folder(`${fx.root}/missing`), 'FS', 'ENOENT');
        await writeText(folder, 'file', 'x');
        await expectFsError(fx.fs.folder(`${fx.root}/file`), 'FS', 'ENOTDIR');
      });
    });

    describe('lstat and readdir', () => {
      it('describes a file, a folder and nothing', async () => {
        const before = Date.now();
        await writeText(folder, 'a.txt', 'hello');
        await folder.mkdir('sub');
        const file = await folder.lstat('a.txt');
        expect(file).toMatchObject({ type: 'file', size: 5 });
        expect(file?.inode).toBeGreaterThan(0);
        expect(file && file.mode & 0o700).toBe(0o600);
        expect(file && file.mode & 0o111).toBe(0); // created 0o644: never executable by accident
        expect(file?.mtimeMs).toBeGreaterThanOrEqual(before - 2000);
        expect((await folder.lstat('sub'))?.type).toBe('dir');
        expect((await folder.lstat(''))?.type).toBe('dir');
        expect(await folder.lstat('missing')).toBeNull();
        // ENOTDIR (a file used as a folder) is "nothing there" too.
        expect(await folder.lstat('a.txt/below')).toBeNull();
      });

      it('lstatMany describes many entries in order, null for what is missing', async () => {
        await writeText(folder, 'f', 'abc');
        await folder.mkdir('d/e');
        const got = await folder.lstatMany(['f', 'missing', 'd', 'd/e', 'f/under-a-file', '']);
        expect(got.map((s) => s?.type ?? null)).toEqual(['file', null, 'dir', 'dir', null, 'dir']);
        expect(got[0]).toEqual(await folder.lstat('f'));
        expect(got[3]).toEqual(await folder.lstat('d/e'));
        expect(await folder.lstatMany([])).toEqual([]);
      });

      it('lists entries with their types', async () => {
        await writeText(folder, 'a.txt', '1');
        await folder.mkdir('sub/inner');
        await writeText(folder, 'sub/b.txt', '2');
        const sorted = (await folder.readdir('')).sort((x, y) => x.name.localeCompare(y.name));
        expect(sorted).toEqual([
          { name: 'a.txt', type: 'file' },
          { name: 'sub', type: 'dir' },
        ]);
        expect(await names(folder, 'sub')).toEqual(['b.txt', 'inner']);
        await expectFsError(folder.readdir('missing'), 'FS', 'ENOENT');
        await expectFsError(folder.readdir('a.txt'), 'FS', 'ENOTDIR');
      });
    });

    describe('handles', () => {
      it('reads and writes at positions, zero-filling a gap', async () => {
        const handle = await folder.openWrite('f');
        await handle.write(Buffer.from('hello'), 0);
        await handle.write(Buffer.from('XY'), 3);
        await handle.write(Buffer.from('!'), 8);
        const buf = Buffer.alloc(4);
        expect(await handle.read(buf, 1, 3, 2)).toBe(3);
        expect(buf.subarray(1).toString()).toBe('lXY');
        expect(await handle.read(buf, 0, 4, 9)).toBe(0);
        expect((await handle.stat()).size).toBe(9);
        await handle.sync();
        await handle.close();
        expect(await readBytes(folder, 'f')).toEqual(Buffer.from('helXY\0\0\0!'));
      });

      it('openWrite never truncates and keeps the inode', async () => {
        await writeText(folder, 'f', 'abcdef');
        const inode = (await folder.lstat('f'))?.inode;
        await writeText(folder, 'f', 'XY', 1);
        expect(await readText(folder, 'f')).toBe('aXYdef');
        expect((await folder.lstat('f'))?.inode).toBe(inode);
      });

      it('truncates down and up (with zeros)', async () => {
        const handle = await folder.openWrite('f');
        await handle.write(Buffer.from('abcdef'), 0);
        await handle.truncate(2);
        await handle.truncate(4);
        await handle.close();
        expect(await readBytes(folder, 'f')).toEqual(Buffer.from('ab\0\0'));
      });

      it('close is idempotent, and a closed handle refuses to read', async () => {
        await writeText(folder, 'f', 'x');
        const handle = await folder.openRead('f');
        await handle.close();
        await handle.close();
        await expectFsError(handle.read(Buffer.alloc(1), 0, 1, 0), 'FS');
      });

      it('refuses to open what is missing or a folder for writing', async () => {
        await expectFsError(folder.openRead('missing'), 'FS', 'ENOENT');
        await expectFsError(folder.openWrite('missing-dir/f'), 'FS', 'ENOENT');
        await folder.mkdir('d');
        await expectFsError(folder.openWrite('d'), 'FS', 'EISDIR');
      });
    });

    describe('names', () => {
      it('mkdir makes parents, is idempotent, and refuses a file in the way', async () => {
        await folder.mkdir('a/b/c');
        await folder.mkdir('a/b/c');
        await folder.mkdir('');
        expect((await folder.lstat('a/b/c'))?.type).toBe('dir');
        await writeText(folder, 'f', 'x');
        await expectFsError(folder.mkdir('f/sub'), 'FS', 'ENOTDIR');
      });

      it('rename replaces the target atomically, keeping the moved inode', async () => {
        await writeText(folder, 'new.tmp', 'new');
        await writeText(folder, 'target', 'old');
        const inode = (await folder.lstat('new.tmp'))?.inode;
        await folder.rename('new.tmp', 'target');
        await folder.syncDir('');
        expect(await readText(folder, 'target')).toBe('new');
        expect((await folder.lstat('target'))?.inode).toBe(inode);
        expect(await folder.lstat('new.tmp')).toBeNull();
        await folder.mkdir('sub');
        await folder.rename('target', 'sub/moved');
        expect(await names(folder, 'sub')).toEqual(['moved']);
        await expectFsError(folder.rename('missing', 'x'), 'FS', 'ENOENT');
      });

      it('link gives a file a second name', async () => {
        await writeText(folder, 'a', 'shared');
        await folder.link('a', 'b');
        expect((await folder.lstat('b'))?.inode).toBe((await folder.lstat('a'))?.inode);
        await writeText(folder, 'a', 'SH');
        expect(await readText(folder, 'b')).toBe('SHared');
        await folder.unlink('a');
        expect(await readText(folder, 'b')).toBe('SHared');
        await writeText(folder, 'c', 'c');
        await expectFsError(folder.link('c', 'b'), 'FS', 'EEXIST');
      });

      it('cloneFile makes an independent copy where the file system clones, and nothing where it cannot', async () => {
        await writeText(folder, 'a', 'original');
        const cloned = await folder.cloneFile('a', 'b');
        expect(cloned).toBe(fx.clones);
        if (!cloned) {
          expect(await folder.lstat('b')).toBeNull();
          return;
        }
        expect(await readText(folder, 'b')).toBe('original');
        expect((await folder.lstat('b'))?.inode).not.toBe((await folder.lstat('a'))?.inode);
        await writeText(folder, 'b', 'ORIG');
        expect(await readText(folder, 'a')).toBe('original');
        await writeText(folder, 'a', 'ALSO');
        expect(await readText(folder, 'b')).toBe('ORIGinal');
        await writeText(folder, 'c', 'c');
        await expectFsError(folder.cloneFile('a', 'c'), 'FS', 'EEXIST');
        expect(await readText(folder, 'c')).toBe('c');
      });

      it('cloneFile refuses a folder or a missing file as its source', async () => {
        await folder.mkdir('d');
        await expectFsError(folder.cloneFile('d', 'x'), 'FS', 'EISDIR');
        await expectFsError(folder.cloneFile('missing', 'x'), 'FS', 'ENOENT');
        expect(await folder.lstat('x')).toBeNull();
      });

      it('unlink and rmdir are idempotent; rmdir of a non-empty folder is NOT_EMPTY', async () => {
        await folder.mkdir('d');
        await writeText(folder, 'd/f', 'x');
        await expectFsError(folder.rmdir('d'), 'NOT_EMPTY');
        await expectFsError(folder.unlink('d'), 'FS');
        await expectFsError(folder.rmdir('d/f'), 'FS', 'ENOTDIR');
        await folder.unlink('d/f');
        await folder.unlink('d/f');
        await folder.rmdir('d');
        await folder.rmdir('d');
        await folder.unlink('gone/deeper');
        expect(await folder.readdir('')).toEqual([]);
      });

      it('refuses to rename or remove the root itself', async () => {
        for (const op of [() => folder.rename('', 'x'), () => folder.unlink(''), () => folder.rmdir(''), () => folder.openWrite('')]) {
          await expectFsError(op(), 'INVALID_NAME');
        }
      });
    });

    describe('metadata', () => {
      it('round-trips the exec bit and keeps only permission bits', async (ctx) => {
        if (!fx.execBit) ctx.skip('this file system has no exec bit');
        await writeText(folder, 'run.sh', '#!/bin/sh');
        await folder.chmod('run.sh', 0o755);
        expect((await folder.lstat('run.sh'))?.mode).toBe(0o755);
        await folder.chmod('run.sh', 0o644);
        expect((await folder.lstat('run.sh'))?.mode).toBe(0o644);
        await folder.chmod('run.sh', 0o4755); // setuid from a peer must not survive
        expect((await folder.lstat('run.sh'))?.mode).toBe(0o755);
        await expectFsError(folder.chmod('missing', 0o644), 'FS', 'ENOENT');
      });

      it('round-trips mtimes to the millisecond, on files and folders', async () => {
        const when = Date.UTC(2024, 1, 29, 12, 34, 56, 789);
        await writeText(folder, 'f', 'x');
        await folder.mkdir('d');
        await folder.setMtime('f', when);
        await folder.setMtime('d', when - 1);
        expect((await folder.lstat('f'))?.mtimeMs).toBeCloseTo(when, 0);
        expect((await folder.lstat('d'))?.mtimeMs).toBeCloseTo(when - 1, 0);
        await expectFsError(folder.setMtime('missing', when), 'FS', 'ENOENT');
      });

      it('sets the mode and mtime through an open write handle, keeping only permission bits', async (ctx) => {
        const when = Date.UTC(2023, 6, 1, 8, 9, 10, 123);
        const handle = await folder.openWrite('h.bin');
        try {
          await handle.write(Buffer.from('abc'), 0);
          if (fx.execBit) {
            await handle.chmod(0o4755); // setuid from a peer must not survive
            expect((await handle.stat()).mode).toBe(0o755);
            await handle.chmod(0o644);
          }
          await handle.setMtime(when);
          await handle.sync();
          expect((await handle.stat()).mtimeMs).toBeCloseTo(when, 0);
        } finally {
          await handle.close();
        }
        const st = await folder.lstat('h.bin');
        expect(st?.mtimeMs).toBeCloseTo(when, 0);
        if (fx.execBit) expect(st?.mode).toBe(0o644);
        else ctx.skip('this file system has no exec bit');
      });

      it('reports free space and flushes folders', async () => {
        expect(await folder.availableBytes()).toBeGreaterThan(0);
        await folder.mkdir('d');
        await folder.syncDir('d');
        await folder.syncDir('');
      });
    });

    registerSafetyTests(() => ({ fx, folder, outside: () => fx.fs.folder(dirname(fx.root)) }));
  });
}

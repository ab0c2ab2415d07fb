/**
 * The part of the Fs contract that keeps writes inside the shared folder: hostile paths are
 * refused before any I/O, links inside the folder are never written through, and a full disk
 * surfaces as DISK_FULL so that the engine can pause and tell the user.
 */
import { describe, expect, it } from 'vitest';
import type { FolderFs } from '../../src/ports/fs.js';
import { expectFsError, names, writeText, type FsFixture } from './fs-suite-fixtures.js';

interface SafetyContext {
  fx: FsFixture;
  folder: FolderFs;
  /** The folder that holds the root, to check that nothing appeared beside it. */
  outside: () => Promise<FolderFs>;
}

const hostilePaths = ['../x', '/etc/passwd', 'a/../../x', 'C:/x', 'c:x', 'a\\b', '..\\x', 'a\0b', 'a//b', 'a/', './a', '..'];

/** Every FolderFs operation that takes a path, called with `path` in each path position. */
function everyOperation(folder: FolderFs, path: string): [string, () => Promise<unknown>][] {
  return [
    ['lstat', () => folder.lstat(path)],
    ['lstatMany', () => folder.lstatMany(['ok', path])],
    ['readdir', () => folder.readdir(path)],
    ['openRead', () => folder.openRead(path)],
    ['openWrite', () => folder.openWrite(path)],
    ['mkdir', () => folder.mkdir(path)],
    ['rename from', () => folder.rename(path, 'ok')],
    ['rename to', () => folder.rename('ok', path)],
    ['link from', () => folder.link(path, 'ok2')],
    ['link to', () => folder.link('ok', path)],
    ['clone from', () => folder.cloneFile(path, 'ok3')],
    ['clone to', () => folder.cloneFile('ok', path)],
    ['unlink', () => folder.unlink(path)],
    ['rmdir', () => folder.rmdir(path)],
    ['chmod', () => folder.chmod(path, 0o644)],
    ['setMtime', () => folder.setMtime(path, 0)],
    ['syncDir', () => folder.syncDir(path)],
  ];
}

export function registerSafetyTests(get: () => SafetyContext): void {
  describe('paths that would leave the folder', () => {
    it.each(hostilePaths)('refuses %j in every operation, touching nothing', async (path) => {
      const { folder, outside } = get();
      await writeText(folder, 'ok', 'ok');
      const besideBefore = await names(await outside(), '');
      for (const [op, call] of everyOperation(folder, path)) {
        await expect(call(), `${op}(${JSON.stringify(path)})`).rejects.toMatchObject({ code: 'INVALID_NAME' });
      }
      expect(await names(await outside(), '')).toEqual(besideBefore);
      expect(await names(folder, '')).toEqual(['ok']);
    });
  });

  describe('links inside the folder', () => {
    it('never writes through a linked folder among the parents', async () => {
      const { fx, folder } = get();
      await folder.mkdir('a');
      const listOutside = await fx.linkOutside('a/out');
      await writeText(folder, 'f', 'mine');
      const refusals: [string, () => Promise<unknown>][] = [
        ['openWrite', () => folder.openWrite('a/out/new')],
        ['openWrite existing', () => folder.openWrite('a/out/victim')],
        ['mkdir', () => folder.mkdir('a/out/sub')],
        ['rename to', () => folder.rename('f', 'a/out/victim')],
        ['rename from', () => folder.rename('a/out/victim', 'stolen')],
        ['link to', () => folder.link('f', 'a/out/new')],
        ['clone to', () => folder.cloneFile('f', 'a/out/new')],
        ['clone from', () => folder.cloneFile('a/out/victim', 'stolen')],
        ['unlink', () => folder.unlink('a/out/victim')],
        ['rmdir', () => folder.rmdir('a/out/victim')],
        ['chmod', () => folder.chmod('a/out/victim', 0o777)],
        ['setMtime', () => folder.setMtime('a/out/victim', 0)],
      ];
      // Started one at a time, so each refusal is checked on a folder the previous one left alone.
      for (const [op, refusal] of refusals) {
        await expect(refusal(), op).rejects.toMatchObject({ code: 'FS', details: expect.objectContaining({ errno: 'ELOOP' }) });
      }
      expect(await listOutside()).toEqual(['victim']);
      expect((await folder.lstat('f'))?.size).toBe(4);
    });

    it('does not follow a link as the final name either', async () => {
      const { fx, folder } = get();
      const listOutside = await fx.linkOutside('out');
      expect((await folder.lstat('out'))?.type).toBe('symlink');
      expect((await folder.readdir('')).find((e) => e.name === 'out')?.type).toBe('symlink');
      await expectFsError(folder.openWrite('out'), 'FS', 'ELOOP');
      await expectFsError(folder.openRead('out'), 'FS', 'ELOOP');
      await expectFsError(folder.chmod('out', 0o700), 'FS', 'ELOOP');
      await expectFsError(folder.rmdir('out'), 'FS', 'ENOTDIR');
      await expectFsError(folder.mkdir('out'), 'FS', 'ELOOP');
      await expectFsError(folder.cloneFile('out', 'copy'), 'FS', 'ELOOP');
      expect(await folder.lstat('copy')).toBeNull();
      expect(await listOutside()).toEqual(['victim']);
      // Removing the link removes the link, not what it points to.
      await folder.unlink('out');
      expect(await folder.lstat('out')).toBeNull();
      expect(await listOutside()).toEqual(['victim']);
    });
  });

  describe('a full disk', () => {
    it('fails the write with DISK_FULL and a message saying what to do', async (ctx) => {
      const { fx, folder } = get();
      const failNextWrites = fx.failNextWrites;
      if (!failNextWrites) return ctx.skip(fx.noDiskFullReason ?? 'this adapter cannot fill its disk safely');
      const handle = await folder.openWrite('big');
      failNextWrites(1);
      const failure = handle.write(Buffer.from('data'), 0);
      await expect(failure).rejects.toMatchObject({ code: 'DISK_FULL', details: expect.objectContaining({ errno: 'ENOSPC' }) });
      await expect(failure).rejects.toThrow(/full.*free some space/i);
      await handle.write(Buffer.from('data'), 0); // only the next write was failed
      await handle.close();
      expect((await folder.lstat('big'))?.size).toBe(4);
    });
  });
}

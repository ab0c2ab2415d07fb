import { constants, existsSync } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { toFsError } from '../../src/adapters/fs-common/fs-errors.js';
import { NodeFs } from '../../src/adapters/fs-node/index.js';
import { describeFsPort } from '../ports/fs-suite.js';
import { expectFsError, readText, writeText } from '../ports/fs-suite-fixtures.js';

/** A folder with one file 'victim' beside the root, for links to point at. */
async function makeOutside(base: string): Promise<{ dir: string; list: () => Promise<string[]> }> {
  const dir = join(base, 'outside');
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'victim'), 'untouched');
  return { dir, list: async () => (await readdir(dir)).sort() };
}

/** Whether the file system of `dir` clones (APFS, Btrfs, XFS do; ext4, tmpfs do not), asked of libuv directly. */
async function canClone(dir: string): Promise<boolean> {
  await writeFile(join(dir, 'probe'), 'probe');
  try {
    await copyFile(join(dir, 'probe'), join(dir, 'probe-clone'), constants.COPYFILE_FICLONE_FORCE);
    return true;
  } catch {
    return false;
  } finally {
    await rm(join(dir, 'probe'), { force: true });
    await rm(join(dir, 'probe-clone'), { force: true });
  }
}

describeFsPort('node', async () => {
  const base = await mkdtemp(join(tmpdir(), 'agora-fs-'));
  const root = join(base, 'folder');
  return {
    fs: new NodeFs(),
    root,
    linkOutside: async (path) => {
      const outside = await makeOutside(base);
      await symlink(outside.dir, join(root, ...path.split('/')), 'dir');
      return outside.list;
    },
    noDiskFullReason: 'filling a real disk is not safe on a shared machine; see "maps ENOSPC from /dev/full" below',
    execBit: process.platform !== 'win32',
    clones: await canClone(base),
    // rm does not follow links, so the outside folder is removed as itself, once.
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

describe('NodeFs specifics', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'agora-fs-node-'));
  });
  afterEach(() => rm(base, { recursive: true, force: true }));

  // /dev/full answers every write with ENOSPC and keeps nothing: a real full disk, safely.
  it.skipIf(!existsSync('/dev/full'))('maps ENOSPC from /dev/full to DISK_FULL', async () => {
    const dev = await new NodeFs().folder('/dev');
    const handle = await dev.openWrite('full');
    try {
      const failure = handle.write(Buffer.from('x'), 0);
      await expect(failure).rejects.toMatchObject({ code: 'DISK_FULL', details: expect.objectContaining({ errno: 'ENOSPC', path: 'full' }) });
      await expect(failure).rejects.toThrow(/disk is full\. Free some space/);
    } finally {
      await handle.close();
    }
  });

  it('maps a used-up quota to DISK_FULL and other errors to FS with the errno', () => {
    const quota = toFsError(Object.assign(new Error('quota'), { code: 'EDQUOT' }), 'write', '/r', 'a');
    expect(quota).toMatchObject({ code: 'DISK_FULL', details: { errno: 'EDQUOT', path: 'a', root: '/r' } });
    expect(quota.message).toMatch(/quota/);
    const denied = toFsError(Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' }), 'write', '/r', 'a/b');
    expect(denied).toMatchObject({ code: 'FS', details: { errno: 'EACCES' } });
    expect(denied.message).toContain('"a/b" in /r');
  });

  it('accepts a root that is itself a link (users do that)', async () => {
    await mkdir(join(base, 'real'));
    await symlink(join(base, 'real'), join(base, 'alias'), 'dir');
    const folder = await new NodeFs().folder(join(base, 'alias'));
    await writeText(folder, 'f', 'via alias');
    expect((await readdir(join(base, 'real'))).sort()).toEqual(['f']);
    expect((await folder.lstat(''))?.type).toBe('dir');
    await folder.chmod('', 0o750);
    expect((await folder.lstat(''))?.mode).toBe(0o750);
  });

  it('checks the parents again on every call: a folder swapped for a link is refused', async () => {
    const folder = await new NodeFs().folder(join(base, 'folder'), { create: true });
    await folder.mkdir('a');
    await writeText(folder, 'a/x', 'first');
    const outside = await makeOutside(base);
    await rename(join(base, 'folder', 'a'), join(base, 'a-moved'));
    await symlink(outside.dir, join(base, 'folder', 'a'), 'dir');
    await expectFsError(folder.openWrite('a/y'), 'FS', 'ELOOP');
    expect(await outside.list()).toEqual(['victim']);
    expect(await readText(await new NodeFs().folder(join(base, 'a-moved')), 'x')).toBe('first');
  });
});

import { describe, expect, it } from 'vitest';
import { MemoryFs } from '../../src/adapters/fs-memory/index.js';
import { describeFsPort, type FsFixture } from '../ports/fs-suite.js';
import { expectFsError, names, readText, writeText } from '../ports/fs-suite-fixtures.js';

const memoryFixture = (reflinks: boolean) => async (): Promise<FsFixture> => {
  const fs = new MemoryFs({ reflinks });
  await fs.folder('/sim', { create: true });
  return {
    fs,
    root: '/sim/folder',
    linkOutside: async (path) => {
      fs.userWrite('/sim/outside', 'victim', 'untouched');
      fs.userSymlink('/sim/folder', path, '/sim/outside');
      return async () => names(await fs.folder('/sim/outside'), '');
    },
    failNextWrites: (count) => fs.failNextWrites(count),
    execBit: true,
    clones: reflinks,
    cleanup: async () => {},
  };
};

describeFsPort('memory', memoryFixture(false));
describeFsPort('memory with reflinks', memoryFixture(true));

describe('MemoryFs hooks', () => {
  const root = '/sim/a';

  it('shows the user\'s writes, renames and deletions through FolderFs', async () => {
    const fs = new MemoryFs();
    const folder = await fs.folder(root, { create: true });
    fs.userWrite(root, 'docs/note.txt', 'draft', { mode: 0o755 });
    expect(await readText(folder, 'docs/note.txt')).toBe('draft');
    expect((await folder.lstat('docs/note.txt'))?.mode).toBe(0o755);
    const inode = (await folder.lstat('docs/note.txt'))?.inode;
    fs.userWrite(root, 'docs/note.txt', 'final'); // in place, like an editor that overwrites
    expect((await folder.lstat('docs/note.txt'))?.inode).toBe(inode);
    fs.userRename(root, 'docs/note.txt', 'archive/note.txt');
    expect(await names(folder, 'archive')).toEqual(['note.txt']);
    fs.userDelete(root, 'archive');
    expect(await folder.lstat('archive')).toBeNull();
  });

  it('stamps mtimes from the injected clock', async () => {
    let now = 1_000;
    const fs = new MemoryFs({ now: () => now });
    const folder = await fs.folder(root, { create: true });
    now = 5_000;
    await writeText(folder, 'f', 'x');
    expect((await folder.lstat('f'))?.mtimeMs).toBe(5_000);
    expect((await folder.lstat(''))?.mtimeMs).toBe(5_000); // a folder changes when an entry is added
  });

  it('snapshots a folder deeply, leaving the engine folder out, for comparing nodes', async () => {
    const [one, two] = [new MemoryFs(), new MemoryFs()];
    for (const fs of [one, two]) {
      const folder = await fs.folder(root, { create: true });
      await folder.mkdir('d');
      await writeText(folder, 'd/f', 'same');
      await folder.chmod('d/f', 0o755);
    }
    one.userWrite(root, '.agora/state', 'differs per node');
    expect(one.snapshot(root)).toEqual(two.snapshot(root));
    expect(one.snapshot(root)).toEqual({
      d: { type: 'dir', mode: 0o755 },
      'd/f': { type: 'file', mode: 0o755, bytes: Buffer.from('same') },
    });
    two.userWrite(root, 'd/f', 'other');
    expect(one.snapshot(root)).not.toEqual(two.snapshot(root));
  });

  it('fails the next N writes, then writes again', async () => {
    const fs = new MemoryFs();
    const folder = await fs.folder(root, { create: true });
    const handle = await folder.openWrite('f');
    fs.failNextWrites(2);
    await expectFsError(handle.write(Buffer.from('a'), 0), 'DISK_FULL');
    await expectFsError(handle.write(Buffer.from('a'), 0), 'DISK_FULL');
    await handle.write(Buffer.from('ok'), 0);
    await handle.close();
    expect(await readText(folder, 'f')).toBe('ok');
  });

  it('runs out of its capacity, counting a file with two names once', async () => {
    const fs = new MemoryFs({ capacityBytes: 10 });
    const folder = await fs.folder(root, { create: true });
    await writeText(folder, 'a', '123456');
    await folder.link('a', 'b');
    expect(await folder.availableBytes()).toBe(4);
    await expectFsError(writeText(folder, 'c', '12345'), 'DISK_FULL', 'ENOSPC');
    await folder.unlink('a');
    expect(await folder.availableBytes()).toBe(4);
    await folder.unlink('b');
    expect(await folder.availableBytes()).toBe(10);
  });

  it('keeps an open file readable after it is renamed or removed, as a disk does', async () => {
    const fs = new MemoryFs();
    const folder = await fs.folder(root, { create: true });
    await writeText(folder, 'f', 'kept');
    const handle = await folder.openRead('f');
    await folder.rename('f', 'g');
    await folder.unlink('g');
    const buf = Buffer.alloc(4);
    expect(await handle.read(buf, 0, 4, 0)).toBe(4);
    expect(buf.toString()).toBe('kept');
    await handle.close();
  });
});

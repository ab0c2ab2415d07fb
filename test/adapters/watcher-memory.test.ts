import { describe, expect, it } from 'vitest';
import { MemoryFs, MemoryWatcher } from '../../src/adapters/fs-memory/index.js';
import { waitFor } from '../helpers/wait.js';
import { describeWatcherPort } from '../ports/watcher-suite.js';

const root = '/sim/folder';

describeWatcherPort('memory', async () => {
  const fs = new MemoryFs();
  await fs.folder(root, { create: true });
  return {
    watcher: new MemoryWatcher(fs),
    root,
    missingRoot: '/sim/missing',
    user: {
      write: async (path, text) => fs.userWrite(root, path, text),
      mkdir: async (path) => fs.userMkdir(root, path),
      remove: async (path) => fs.userDelete(root, path),
      rename: async (from, to) => fs.userRename(root, from, to),
      removeRoot: async () => fs.userDelete('/sim', 'folder'),
    },
    cleanup: async () => {},
  };
});

describe('MemoryWatcher specifics', () => {
  it("reports the engine's own writes through FolderFs, batched and deduplicated", async () => {
    const fs = new MemoryFs();
    const folder = await fs.folder(root, { create: true });
    const batches: string[][] = [];
    const sub = await new MemoryWatcher(fs).watch(root, (paths) => batches.push(paths), () => {});
    const handle = await folder.openWrite('f');
    await handle.write(Buffer.from('a'), 0);
    await handle.write(Buffer.from('b'), 1);
    await folder.rename('f', 'g');
    await waitFor(() => batches.flat().includes('g'), 'the rename to be reported');
    expect(new Set(batches.flat())).toEqual(new Set(['f', 'g']));
    expect(batches.every((batch) => new Set(batch).size === batch.length)).toBe(true);
    await handle.close();
    await sub.close();
  });

  it('reports every path under a deleted folder, and not paths beside the root', async () => {
    const fs = new MemoryFs();
    fs.userWrite(root, 'd/a', 'x');
    fs.userWrite('/sim/other', 'b', 'x');
    const seen: string[] = [];
    const sub = await new MemoryWatcher(fs).watch(root, (paths) => seen.push(...paths), () => {});
    fs.userWrite('/sim/other', 'b', 'y');
    fs.userDelete(root, 'd');
    await waitFor(() => seen.includes('d'), 'the deletion to be reported');
    expect(seen.sort()).toEqual(['d', 'd/a']);
    await sub.close();
  });

  it('injectError reaches onError, as an overflowing watcher would', async () => {
    const fs = new MemoryFs();
    await fs.folder(root, { create: true });
    const watcher = new MemoryWatcher(fs);
    const errors: Error[] = [];
    const sub = await watcher.watch(root, () => {}, (err) => errors.push(err));
    watcher.injectError();
    expect(errors).toHaveLength(1);
    await sub.close();
    watcher.injectError();
    expect(errors).toHaveLength(1);
  });
});

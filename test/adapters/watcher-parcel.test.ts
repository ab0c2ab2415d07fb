import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { folderRelative, ParcelWatcher } from '../../src/adapters/watcher-parcel/index.js';
import { describeWatcherPort } from '../ports/watcher-suite.js';

describeWatcherPort('parcel', async () => {
  const base = await mkdtemp(join(tmpdir(), 'agora-watch-'));
  const root = join(base, 'folder');
  await mkdir(root);
  const at = (path: string) => join(root, ...path.split('/'));
  return {
    watcher: new ParcelWatcher(),
    root,
    missingRoot: join(base, 'missing'),
    user: {
      write: (path, text) => writeFile(at(path), text),
      mkdir: async (path) => {
        await mkdir(at(path), { recursive: true });
      },
      remove: (path) => rm(at(path), { recursive: true }),
      rename: (from, to) => rename(at(from), at(to)),
      removeRoot: () => rm(root, { recursive: true }),
    },
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

describe('folderRelative', () => {
  const root = join(tmpdir(), 'r');
  it("makes paths '/'-separated and relative ('' for the root), leaving out outsiders and .agora", () => {
    expect(folderRelative(join(root, 'a', 'b.txt'), [root])).toBe('a/b.txt');
    expect(folderRelative(join(root, '..notes'), [root])).toBe('..notes');
    expect(folderRelative(root, [root])).toBe('');
    expect(folderRelative(join(root, '..', 'x'), [root])).toBeNull();
    expect(folderRelative(join(root, '.agora', 'db'), [root])).toBeNull();
    expect(folderRelative(join('/real', 'f'), [root, '/real'])).toBe('f');
  });
});

/**
 * The node adapter on a file system that clones: Btrfs, in an image this file mounts (root
 * needed; it fails, not skips, without). The port suite's clone branch runs against the kernel,
 * and the puller's clone of a replaced file is checked on the disk's own extents.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeFs } from '../../src/adapters/fs-node/index.js';
import { Puller } from '../../src/core/sync/puller.js';
import { pseudoRandom } from '../helpers/bytes.js';
import { mountBtrfs, type BtrfsMount } from '../helpers/btrfs.js';
import { peerVersion, scannedRecord } from '../helpers/records.js';
import { describeFsPort } from '../ports/fs-suite.js';

const MiB = 1024 * 1024;

let btrfs: BtrfsMount | undefined;
let mountFailure: Error | undefined;
beforeAll(async () => {
  btrfs = await mountBtrfs().catch((err: Error) => {
    mountFailure = err;
    return undefined;
  });
});
afterAll(async () => {
  await btrfs?.unmount();
});

describeFsPort('node on btrfs', async () => {
  if (!btrfs) throw mountFailure ?? new Error('the Btrfs image was not mounted');
  const base = await mkdtemp(join(btrfs.dir, 'case-'));
  const root = join(base, 'folder');
  return {
    fs: new NodeFs(),
    root,
    linkOutside: async (path) => {
      const outside = join(base, 'outside');
      await mkdir(outside, { recursive: true });
      await writeFile(join(outside, 'victim'), 'untouched');
      await symlink(outside, join(root, ...path.split('/')), 'dir');
      return async () => (await readdir(outside)).sort();
    },
    noDiskFullReason: 'covered by the node adapter on the ordinary disk (fs-node.test.ts)',
    execBit: true,
    clones: true,
    cleanup: () => rm(base, { recursive: true, force: true }),
  };
});

describe('Puller on Btrfs', () => {
  it('an appended big file arrives as a clone of the old one: the disk holds the unchanged part once', async () => {
    if (!btrfs) throw mountFailure ?? new Error('the Btrfs image was not mounted');
    const root = await mkdtemp(join(btrfs.dir, 'pull-'));
    const folder = await new NodeFs().folder(root);
    const oldData = pseudoRandom(16 * MiB, 1);
    const newData = Buffer.concat([oldData, pseudoRandom(MiB, 2)]);
    await writeFile(join(root, 'doc.bin'), oldData);
    const st = (await folder.lstat('doc.bin'))!;
    const record = scannedRecord('doc.bin', oldData, st);
    let fetchedBytes = 0;
    const puller = new Puller({
      fs: folder,
      now: () => Date.now(),
      localRecord: (path) => (path === 'doc.bin' ? record : undefined),
      findLocalBlocks: () => new Map(),
      fetchBlock: async (block, hint) => {
        fetchedBytes += block.size;
        return newData.subarray(hint.offset, hint.offset + block.size);
      },
    });
    const winner = peerVersion('doc.bin', newData, 2);
    await puller.pullFile(winner);
    expect((await readFile(join(root, 'doc.bin'))).equals(newData)).toBe(true);
    // Only the new end and the old last block or two came from the peer.
    expect(fetchedBytes).toBeLessThan(4 * MiB);
    // The new file's own extents: what was fetched; the rest it shares with the kept version.
    const exclusive = await exclusiveBytes(join(root, 'doc.bin'));
    expect(exclusive).toBeLessThan(4 * MiB);
    const [version] = await readdir(join(root, '.agora', 'versions'), { recursive: true }).then((names) => names.filter((n) => n.startsWith('doc')));
    expect(version, 'the old doc.bin kept as a version').toBeDefined();
    expect((await readFile(join(root, '.agora', 'versions', version!))).equals(oldData)).toBe(true);
  });
});

/** Bytes of `path`'s extents that no other file shares (btrfs filesystem du). */
async function exclusiveBytes(path: string): Promise<number> {
  const { stdout } = await promisify(execFile)('btrfs', ['filesystem', 'du', '--raw', path]);
  // "     Total   Exclusive  Set shared  Filename" then one line per path.
  const line = stdout.trim().split('\n').at(-1)!;
  return Number(line.trim().split(/\s+/)[1]);
}

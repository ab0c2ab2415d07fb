import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface BtrfsMount {
  /** The mounted file system's root. */
  dir: string;
  unmount(): Promise<void>;
}

/**
 * A small Btrfs file system in a sparse image, loop-mounted: a real file system that clones,
 * for the reflink paths. Needs root, mkfs.btrfs and loop devices; throws saying how to get them.
 */
export async function mountBtrfs(): Promise<BtrfsMount> {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) {
    throw new Error('the reflink tests mount a Btrfs image: run them as root on Linux (sudo -E npx vitest run test/adapters/fs-node-reflink.test.ts)');
  }
  const base = await mkdtemp(join(tmpdir(), 'agora-btrfs-'));
  const image = join(base, 'image');
  const dir = join(base, 'mnt');
  try {
    await mkdir(dir);
    // 160 MiB: Btrfs refuses images under ~110 MiB; sparse, so it costs what is written.
    await run('truncate', ['-s', '160M', image]);
    await run('mkfs.btrfs', ['-q', image]).catch((err: Error) => {
      throw new Error(`mkfs.btrfs failed (${err.message.split('\n')[0]}); install it with: apt-get install -y btrfs-progs`);
    });
    await run('mount', ['-o', 'loop', image, dir]).catch((err: Error) => {
      throw new Error(`could not loop-mount a Btrfs image (${err.message.split('\n')[0]}); the machine needs loop devices (/dev/loop*) and the btrfs module`);
    });
  } catch (err) {
    await rm(base, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    unmount: async () => {
      await run('umount', [dir]);
      await rm(base, { recursive: true, force: true });
    },
  };
}

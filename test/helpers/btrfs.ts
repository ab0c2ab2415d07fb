import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
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
  await removeStaleMounts();
  // The pid in the name lets a later run tell a mount whose test process died from a live one.
  const base = await mkdtemp(join(tmpdir(), `agora-btrfs-${process.pid}-`));
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

/** Unmounts and removes images left by test processes that died before their afterAll (kill -9, a crash). */
async function removeStaleMounts(): Promise<void> {
  const mounts = await readFile('/proc/mounts', 'utf8');
  const prefix = join(tmpdir(), 'agora-btrfs-');
  for (const line of mounts.split('\n')) {
    const dir = line.split(' ')[1];
    if (!dir?.startsWith(prefix) || !dir.endsWith('/mnt')) continue;
    const pid = Number(/^agora-btrfs-(\d+)-/.exec(dir.slice(tmpdir().length + 1))?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
    await run('umount', [dir]).catch(() => undefined);
    await rm(dir.slice(0, -'/mnt'.length), { recursive: true, force: true });
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

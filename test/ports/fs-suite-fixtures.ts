import { expect } from 'vitest';
import type { FolderFs, FsPort } from '../../src/ports/fs.js';

/** What one FsPort adapter gives the shared suite. */
export interface FsFixture {
  fs: FsPort;
  /** Absolute root for the folder under test. It does not exist yet; its parent does. */
  root: string;
  /**
   * Makes a link at folder-relative `path` (its parent exists) to a folder outside the root that
   * holds one file, 'victim', with the text 'untouched'. Returns a lister of that outside folder.
   */
  linkOutside(path: string): Promise<() => Promise<string[]>>;
  /** Makes the next `count` writes fail as a full disk would; absent where that is not safe. */
  failNextWrites?: (count: number) => void;
  /** Why failNextWrites is absent, shown as the skip note. */
  noDiskFullReason?: string;
  /** Whether the file system keeps the exec bit (not on Windows). */
  execBit: boolean;
  /** Whether cloneFile clones here (Btrfs, XFS, APFS; a MemoryFs made with reflinks). */
  clones: boolean;
  cleanup(): Promise<void>;
}

export async function writeText(folder: FolderFs, path: string, text: string, position = 0): Promise<void> {
  const handle = await folder.openWrite(path);
  try {
    await handle.write(Buffer.from(text), position);
  } finally {
    await handle.close();
  }
}

/** The whole file, read in small steps so that positions and short reads are exercised. */
export async function readBytes(folder: FolderFs, path: string): Promise<Buffer> {
  const handle = await folder.openRead(path);
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const chunk = Buffer.alloc(3);
      const count = await handle.read(chunk, 0, chunk.length, position);
      if (count === 0) return Buffer.concat(chunks);
      chunks.push(chunk.subarray(0, count));
      position += count;
    }
  } finally {
    await handle.close();
  }
}

export async function readText(folder: FolderFs, path: string): Promise<string> {
  return (await readBytes(folder, path)).toString();
}

/** Expects an AgoraError with this code (and system errno, when given). */
export async function expectFsError(promise: Promise<unknown>, code: string, errno?: string): Promise<void> {
  const expected: Record<string, unknown> = { code };
  if (errno) expected.details = expect.objectContaining({ errno });
  await expect(promise).rejects.toMatchObject(expected);
}

export async function names(folder: FolderFs, path: string): Promise<string[]> {
  return (await folder.readdir(path)).map((e) => e.name).sort();
}

import { createHash } from 'node:crypto';
import { createReadStream, lstatSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir';
  /** sha256 of the content (files). */
  sha256?: string;
  size?: number;
  executable?: boolean;
}

async function sha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 4 * 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A folder as users see it: names, bytes (hashed) and the executable bit; the engine's own files left out. */
export async function readTree(root: string): Promise<Record<string, TreeEntry>> {
  const out: Record<string, TreeEntry> = {};
  const walk = async (dir: string, rel: string) => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      return; // removed while we walked: the caller compares again later
    }
    for (const name of names) {
      if (rel === '' && name === '.agora') continue;
      if (name.startsWith('.agora-tmp-')) continue;
      const abs = join(dir, name);
      const path = rel === '' ? name : `${rel}/${name}`;
      const st = lstatSync(abs, { throwIfNoEntry: false });
      if (!st) continue;
      if (st.isDirectory()) {
        out[path] = { type: 'dir' };
        await walk(abs, path);
      } else if (st.isFile()) {
        const digest = await sha256(abs).catch(() => null);
        if (digest !== null) out[path] = { type: 'file', size: st.size, sha256: digest, executable: (st.mode & 0o100) !== 0 };
      }
    }
  };
  await walk(root, '');
  return out;
}

/** Paths of temp files the engine left in a folder (there should be none under a real name). */
export function tempFiles(root: string): { path: string; size: number }[] {
  const out: { path: string; size: number }[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const abs = join(dir, name);
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs);
      else if (name.startsWith('.agora-tmp-')) out.push({ path: abs, size: st.size });
    }
  };
  walk(root);
  return out;
}

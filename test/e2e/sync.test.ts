import { randomBytes } from 'node:crypto';
import { appendFileSync, chmodSync, closeSync, existsSync, mkdirSync, openSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';
import { readTree, tempFiles } from './tree.js';

interface Status {
  state: string;
  needFiles: number;
  localBytes: number;
  globalFiles: number;
  peers: { deviceId: string; inSync: boolean }[];
  transfer: { fetchedBytes: number; reusedBytes: number } | null;
  badPeers: { deviceId: string; blocks: number }[];
}

const FOLDER = 'Acme/Docs';

describe('end to end: folder sync between three real nodes on loopback', () => {
  const a = new AgoraHome('sa');
  const b = new AgoraHome('sb');
  const c = new AgoraHome('sc');
  const dirs = { a: join(a.home, 'docs'), b: join(b.home, 'acme', 'Docs'), c: join(c.home, 'acme', 'Docs') };
  let ids: Record<'a' | 'b' | 'c', string>;

  const trees = async () => Promise.all([readTree(dirs.a), readTree(dirs.b), readTree(dirs.c)]);
  const allEqual = async (check?: (tree: Awaited<ReturnType<typeof readTree>>) => boolean) => {
    const [ta, tb, tc] = await trees();
    const same = JSON.stringify(ta) === JSON.stringify(tb) && JSON.stringify(ta) === JSON.stringify(tc);
    return same && (check ? check(ta) : true);
  };
  const status = (h: AgoraHome) => h.json<Status>('folder', 'status', FOLDER, '--no-watch');
  /** What each node has and thinks, printed when a convergence wait fails. */
  const diagnostics = async () => {
    const out: string[] = [];
    for (const [name, h, dir] of [['A', a, dirs.a], ['B', b, dirs.b], ['C', c, dirs.c]] as const) {
      const tree = await readTree(dir);
      const st = await status(h).catch((e: unknown) => String(e));
      out.push(`${name} tree: ${JSON.stringify(tree)}`, `${name} status: ${JSON.stringify(st)}`);
    }
    return out.join('\n');
  };

  beforeAll(async () => {
    await a.json('init', '--name', 'Alice');
    await b.json('init', '--name', 'Bob');
    await c.json('init', '--name', 'Carol');
    const started = await Promise.all([a.start(), b.start(), c.start()]);
    ids = { a: started[0]!.deviceId as string, b: started[1]!.deviceId as string, c: started[2]!.deviceId as string };
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'acme'));
    mkdirSync(join(dirs.a, 'reports', '2026'), { recursive: true });
    mkdirSync(join(dirs.a, 'empty'));
    writeFileSync(join(dirs.a, 'readme.txt'), 'Acme shared documents\n');
    writeFileSync(join(dirs.a, 'reports', '2026', 'q1.csv'), 'quarter,revenue\nq1,100\n');
    writeFileSync(join(dirs.a, 'empty-file'), '');
    writeFileSync(join(dirs.a, 'run.sh'), '#!/bin/sh\necho hi\n');
    chmodSync(join(dirs.a, 'run.sh'), 0o755);
    writeFileSync(join(dirs.a, 'data.bin'), randomBytes(3 * 1024 * 1024 + 17));
    const folder = await a.json<{ folderId: string; name: string; path: string }>('folder', 'add', '--space', 'Acme', '--path', dirs.a, '--name', 'Docs');
    expect(folder).toMatchObject({ name: 'Docs', path: dirs.a });
    for (const h of [b, c]) {
      const { code } = await a.json<{ code: string }>('invite', '--space', 'Acme');
      await h.json('join', code, '--dir', join(h.home, 'acme'));
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose(), c.dispose()]);
  });

  it('B and C get the shared folder at <space dir>/Docs, identical to A: names, bytes, modes, empty files and dirs', async () => {
    for (const h of [b, c]) {
      const r = await h.run('wait', FOLDER, '--timeout', '60');
      expect(r.code, r.stderr).toBe(0);
    }
    await waitFor(() => allEqual((t) => t['data.bin'] !== undefined), 'identical trees on A, B and C', 30_000);
    const [, tb] = await trees();
    expect(tb['run.sh']?.executable).toBe(true);
    expect(tb['readme.txt']?.executable).toBe(false);
    expect(tb['empty']).toEqual({ type: 'dir' });
    expect(tb['empty-file']?.size).toBe(0);
    const list = await b.json<{ folderId: string; name: string; path: string; state: string }[]>('folder', 'list');
    expect(list).toEqual([expect.objectContaining({ name: 'Docs', path: dirs.b })]);
    const st = await status(b);
    expect(st).toMatchObject({ state: 'idle', needFiles: 0, globalFiles: 5 });
    expect(st.peers.every((p) => p.inSync)).toBe(true);
  });

  it('edits on every side converge: modify, create, delete, rename, executable bit', async () => {
    writeFileSync(join(dirs.b, 'readme.txt'), 'Edited by Bob\n');
    writeFileSync(join(dirs.c, 'from-carol.txt'), 'Carol was here\n');
    rmSync(join(dirs.a, 'empty-file'));
    renameSync(join(dirs.b, 'reports'), join(dirs.b, 'archive'));
    chmodSync(join(dirs.c, 'run.sh'), 0o644);
    await waitFor(
      () =>
        allEqual(
          (t) =>
            t['from-carol.txt'] !== undefined &&
            t['archive/2026/q1.csv'] !== undefined &&
            t['reports'] === undefined &&
            t['empty-file'] === undefined &&
            t['run.sh']?.executable === false,
        ),
      'all edits on all three nodes',
      60_000,
    ).catch(async (err: unknown) => {
      throw new Error(`${String(err)}\n${await diagnostics()}`);
    });
    const [ta] = await trees();
    expect(Object.keys(ta).sort()).toEqual(['archive', 'archive/2026', 'archive/2026/q1.csv', 'data.bin', 'empty', 'from-carol.txt', 'readme.txt', 'run.sh']);
  }, 90_000);

  it('concurrent edits while one node is offline leave both versions on every node', async () => {
    await b.stop();
    writeFileSync(join(dirs.a, 'plan.txt'), 'v1');
    await waitFor(async () => (await readTree(dirs.c))['plan.txt'] !== undefined, 'plan.txt on C', 20_000);
    appendFileSync(join(dirs.a, 'plan.txt'), ' + Alice');
    // B edits the same file while its node is down (it never saw v1: a fresh file of the same name).
    writeFileSync(join(dirs.b, 'plan.txt'), 'Bob offline version');
    await b.start();
    await waitFor(
      () => allEqual((t) => Object.keys(t).some((p) => p.startsWith('plan.sync-conflict-'))),
      'both versions of plan.txt on A, B and C',
      30_000,
    );
    const [ta] = await trees();
    const copies = Object.keys(ta).filter((p) => p.startsWith('plan.'));
    expect(copies).toHaveLength(2);
    const conflicts = await c.json<{ original: string; path: string }[]>('conflicts', '--space', 'Acme');
    expect(conflicts).toEqual([expect.objectContaining({ original: 'plan.txt', path: copies.find((p) => p.includes('sync-conflict'))! })]);
  });

  it('a peer that serves corrupt blocks corrupts nothing: its blocks are refused, it is reported, another peer serves them', async () => {
    await b.stop();
    const payload = randomBytes(6 * 1024 * 1024);
    writeFileSync(join(dirs.a, 'contract.pdf'), payload);
    await waitFor(async () => (await readTree(dirs.c))['contract.pdf']?.size === payload.length && (await status(c)).needFiles === 0, 'contract on C', 30_000);
    await Promise.all([a.stop(), c.stop()]);
    a.env = { AGORA_TEST_CORRUPT_BLOCKS: '1' };
    try {
      await a.start();
      await b.start();
      // Only the corrupt peer is up: B refuses every block it sends and writes nothing under the real name.
      await waitFor(async () => (await status(b)).badPeers.some((p) => p.deviceId === ids.a), 'B reports A', 30_000);
      expect(existsSync(join(dirs.b, 'contract.pdf'))).toBe(false);
      await c.start();
      await waitFor(() => allEqual((t) => t['contract.pdf']?.size === payload.length), 'contract on B, intact, from C', 60_000);
      const st = await status(b);
      expect(st.badPeers).toEqual([expect.objectContaining({ deviceId: ids.a })]);
      expect(st.badPeers[0]!.blocks).toBeGreaterThan(0);
    } finally {
      await a.stop();
      a.env = {};
      await a.start();
    }
  }, 120_000);

  it('a 1 GiB transfer killed with kill -9 at the receiver resumes after restart and completes', async () => {
    const staged = join(a.home, 'big.staged');
    const fd = openSync(staged, 'w');
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    for (let i = 0; i < 64; i++) {
      randomBytes(chunk.length).copy(chunk);
      writeSync(fd, chunk);
    }
    closeSync(fd);
    renameSync(staged, join(dirs.a, 'big.bin'));
    await waitFor(async () => ((await status(c)).transfer?.fetchedBytes ?? 0) > 300 * 1024 * 1024, 'C half way through', 60_000);
    process.kill(c.pid(), 'SIGKILL');
    expect(existsSync(join(dirs.c, 'big.bin'))).toBe(false);
    expect(tempFiles(dirs.c).length).toBe(1);
    rmSync(join(c.home, 'api.json'), { force: true });
    await c.start();
    await waitFor(async () => (await readTree(dirs.c))['big.bin']?.size === 1024 * 1024 * 1024, 'big.bin complete on C', 120_000);
    const st = await status(c);
    // Everything written before the kill was kept: after the restart, well under 1 GiB came over the wire.
    expect(st.transfer!.reusedBytes).toBeGreaterThan(200 * 1024 * 1024);
    expect(st.transfer!.fetchedBytes).toBeLessThan(1024 * 1024 * 1024 - 200 * 1024 * 1024);
    await waitFor(() => allEqual((t) => t['big.bin']?.size === 1024 * 1024 * 1024), 'big.bin identical everywhere', 120_000);
    expect(tempFiles(dirs.c)).toEqual([]);
  }, 300_000);
});

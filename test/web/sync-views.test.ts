import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import type { AgoraHome } from '../e2e/agora-process.js';
import { waitFor } from '../helpers/wait.js';
import { expectAccessible } from './a11y.js';
import type { Person } from './browser.js';
import { WebNodes } from './nodes.js';

const LIVE = { timeout: 30_000 };
const BIG = 384 * 1024 * 1024;

/**
 * What sync leaves for people to see and decide, between two real nodes: conflicts resolved with
 * "Keep both" and "Keep current", an earlier version of a file restored, and a transfer's live
 * progress (files, bytes, rate) with the folder's state and peers.
 */
describe('sync in the web app: conflicts, versions, progress', () => {
  const nodes = new WebNodes('web-sync');
  let a: AgoraHome;
  let b: AgoraHome;
  let alice: Person;
  let aDocs = '';
  let bDocs = '';

  const names = (dir: string) => readdirSync(dir).filter((n) => !n.startsWith('.'));
  const text = (dir: string, name: string) => readFileSync(join(dir, name), 'utf8');

  beforeAll(async () => {
    await nodes.launch();
    [a, b] = await Promise.all([nodes.node('Alice'), nodes.node('Bob')]);
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'spaces'));
    aDocs = nodes.tempDir('docs');
    writeFileSync(join(aDocs, 'readme.txt'), 'Acme docs\n');
    await a.json('folder', 'add', '--space', 'Acme', '--path', aDocs, '--name', 'Docs');
    await nodes.join(a, b, 'Acme');
    const waited = await b.run('wait', 'Acme/Docs', '--timeout', '60');
    expect(waited.code, waited.stderr).toBe(0);
    bDocs = (await nodes.folderPath(b, 'Docs'))!;
  }, 90_000);

  beforeEach(() => {
    onTestFailed(() => nodes.onFailure());
  });

  afterAll(async () => {
    for (const [label, list] of await nodes.dispose()) expect(list, `console of ${label}`).toEqual([]);
  }, 60_000);

  test('two people change the same files at once: "Keep both" keeps both under plain names, "Keep current" drops the other', async () => {
    // Bob's node is down while both write the same two new files: neither version has seen the other.
    await b.stop();
    writeFileSync(join(aDocs, 'plan.txt'), 'Alice plan\n');
    writeFileSync(join(aDocs, 'memo.txt'), 'Alice memo\n');
    writeFileSync(join(bDocs, 'plan.txt'), 'Bob plan\n');
    writeFileSync(join(bDocs, 'memo.txt'), 'Bob memo\n');
    await b.start();
    const copies = () => names(aDocs).filter((n) => n.includes('.sync-conflict-'));
    await waitFor(() => copies().length === 2, 'two conflict copies on Alice disk', 30_000);

    alice = await nodes.person(a);
    const pa = alice.page;
    await pa.getByRole('link', { name: 'Open space Acme' }).click();
    await pa.getByRole('tab', { name: 'Conflicts' }).click();
    const plan = pa.getByRole('article', { name: 'Conflict on plan.txt' });
    const memo = pa.getByRole('article', { name: 'Conflict on memo.txt' });
    await plan.waitFor(LIVE);
    await memo.waitFor(LIVE);
    await expectAccessible(pa, 'conflicts (two)');

    await plan.getByRole('button', { name: 'Keep both' }).click();
    await pa.getByRole('status').getByText(/^Resolved: plan\.txt and plan \(from .+\)\.txt$/).waitFor();
    await plan.waitFor({ state: 'detached', ...LIVE });
    const planFiles = names(aDocs).filter((n) => n.startsWith('plan'));
    expect(planFiles).toHaveLength(2);
    expect(planFiles).toContain('plan.txt');
    expect(planFiles.every((n) => !n.includes('sync-conflict'))).toBe(true);
    expect(planFiles.map((n) => text(aDocs, n)).sort()).toEqual(['Alice plan\n', 'Bob plan\n']);

    const current = text(aDocs, 'memo.txt');
    await memo.getByRole('button', { name: 'Keep current' }).click();
    await pa.getByRole('status').getByText('Resolved: memo.txt', { exact: true }).waitFor();
    await pa.getByText('No conflicts.', { exact: false }).waitFor(LIVE);
    expect(names(aDocs).filter((n) => n.startsWith('memo'))).toEqual(['memo.txt']);
    expect(text(aDocs, 'memo.txt')).toBe(current);

    // The resolution is an ordinary change: Bob's disk ends the same.
    await waitFor(
      () => JSON.stringify(names(bDocs).sort()) === JSON.stringify(names(aDocs).sort()) && names(bDocs).every((n) => text(bDocs, n) === text(aDocs, n)),
      'the same files on Bob disk',
      30_000,
    );
  }, 90_000);

  test('an earlier version of a file replaced by a change from a peer is restored from the Versions dialog', async () => {
    const [v1, v2] = ['first version\n', 'second version, a longer one\n'];
    writeFileSync(join(aDocs, 'notes.txt'), v1);
    await waitFor(() => existsSync(join(bDocs, 'notes.txt')) && text(bDocs, 'notes.txt') === v1, 'v1 on Bob disk', 30_000);
    writeFileSync(join(aDocs, 'notes.txt'), v2);
    await waitFor(() => text(bDocs, 'notes.txt') === v2, 'v2 on Bob disk', 30_000);

    const bob = await nodes.person(b);
    const pb = bob.page;
    await pb.getByRole('link', { name: 'Open space Acme' }).click();
    await pb.getByRole('link', { name: 'Open folder Docs' }).click();
    await pb.getByRole('button', { name: 'Versions of notes.txt' }).click();
    const dialog = pb.getByRole('dialog', { name: 'Versions of notes.txt' });
    const restore = dialog.getByRole('button', { name: /^Restore the version of / });
    await restore.waitFor(LIVE);
    expect(await restore.count()).toBe(1);
    await dialog.getByRole('cell', { name: `${v1.length} B`, exact: true }).waitFor();
    await expectAccessible(pb, 'versions dialog with a version');
    await bob.screenshot('versions');

    await restore.click();
    await dialog.getByRole('status').getByText('Restored.', { exact: false }).waitFor();
    expect(text(bDocs, 'notes.txt')).toBe(v1);
    // The restored file is a change like any other: it reaches Alice, and v2 is kept as a version.
    await waitFor(() => text(aDocs, 'notes.txt') === v1, 'v1 back on Alice disk', 30_000);
    await dialog.getByRole('cell', { name: `${v2.length} B`, exact: true }).waitFor(LIVE);
    await pb.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, 90_000);

  test('while a large file arrives the folder card shows live progress (files, bytes, rate), its state and its peers', async () => {
    const bob = nodes.people.find((p) => p.home === b)!;
    const pb = bob.page;
    await pb.getByRole('link', { name: 'Folders', exact: true }).click();
    const card = pb.getByRole('article', { name: 'Docs' });
    await card.getByText('Alice: in sync').waitFor(LIVE);
    await card.getByTestId('folder-state').getByText('Up to date').waitFor(LIVE);

    writeBig(join(a.home, 'big.staged'), BIG);
    renameSync(join(a.home, 'big.staged'), join(aDocs, 'big.bin'));
    // Bob's node is watched from here; as soon as bytes flow, Alice's node is frozen (SIGSTOP), so
    // the transfer stays under way for as long as the page is looked at, on any machine.
    const client = nodes.client(b);
    // Asked back to back (no pause between answers): on loopback the whole file may take a fraction of a second.
    await waitFor(
      async () => {
        if (existsSync(join(bDocs, 'big.bin'))) throw new Error(`big.bin arrived before its transfer could be watched: make BIG larger than ${BIG}`);
        for (let i = 0; i < 50; i++) {
          const p = (await client.folderStatus('Acme/Docs')).progress;
          // A rate needs two moments of arrival: frozen before the second, the page would show 0 B/s.
          if (p && p.rate > 0 && p.bytes < p.totalBytes) return true;
        }
        return false;
      },
      'bytes of big.bin arriving at Bob',
      60_000,
    );
    const alicePid = a.pid();
    process.kill(alicePid, 'SIGSTOP');
    try {
      const progress = card.getByRole('progressbar', { name: 'Progress of Docs' });
      await progress.waitFor(LIVE);
      await card.getByTestId('folder-state').getByText('Syncing').waitFor();
      const line = card.getByText(/^\d+ of 1 file · .+ of 403 MB · .+\/s · .+ left$/);
      await line.waitFor();
      expect(await line.textContent()).toMatch(/^0 of 1 file · [1-9][\d.]* [KMG]?B of 403 MB · [1-9][\d.]* [KMG]?B\/s · /);
      const percent = Number(await progress.getAttribute('aria-valuenow'));
      expect(percent).toBeGreaterThan(0);
      expect(percent).toBeLessThan(100);
      await card.getByText('Alice: syncing').waitFor();
      await expectAccessible(pb, 'folder card with progress');
      await bob.screenshot('folder-progress');
    } finally {
      process.kill(alicePid, 'SIGCONT');
    }
    await waitFor(() => existsSync(join(bDocs, 'big.bin')) && statSync(join(bDocs, 'big.bin')).size === BIG, 'big.bin on Bob disk', 120_000);
    await card.getByTestId('folder-state').getByText('Up to date').waitFor(LIVE);
    await card.getByText('Alice: in sync').waitFor(LIVE);
    await card.getByRole('progressbar').waitFor({ state: 'detached' });
  }, 180_000);
});

/** `size` random bytes, written in chunks (memory stays small). */
function writeBig(path: string, size: number): void {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(16 * 1024 * 1024);
  try {
    for (let done = 0; done < size; done += chunk.length) {
      randomBytes(chunk.length).copy(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, size - done));
    }
  } finally {
    closeSync(fd);
  }
}

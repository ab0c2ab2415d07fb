import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import { AgoraHome } from '../e2e/agora-process.js';
import { waitFor } from '../helpers/wait.js';
import { expectAccessible } from './a11y.js';
import { dropFile, focused, launchChromium, Person, tabTo } from './browser.js';

/**
 * The web app in real Chromium against real nodes: what issue 5 asks a member to be able to
 * do, on a desktop, on a phone-sized screen and with the keyboard alone.
 */
describe('web app', () => {
  let browser: Browser;
  const homes: AgoraHome[] = [];
  const people: Person[] = [];
  const dirs: string[] = [];
  let a: AgoraHome;
  let alice: Person;

  const home = async (label: string) => {
    const h = new AgoraHome(label);
    homes.push(h);
    await h.start();
    return h;
  };
  const person = async (h: AgoraHome, options?: { mobile?: boolean }) => {
    const p = await Person.open(browser, h, options);
    people.push(p);
    return p;
  };
  const folderOnDisk = async (h: AgoraHome, name: string) => {
    const list = await h.json<{ name: string; path: string }[]>('folder', 'list');
    return list.find((f) => f.name === name)?.path;
  };

  beforeAll(async () => {
    browser = await launchChromium();
    a = await home('web-a');
  }, 60_000);

  beforeEach(() => {
    // A failure leaves a picture of every page, to see what the user would have seen.
    onTestFailed(async () => {
      for (const p of people) {
        const file = join(tmpdir(), `agora-web-failure-${p.home.label}.png`);
        await p.page.screenshot({ path: file }).catch(() => undefined);
        process.stderr.write(`web app test failed; ${p.home.label} showed ${p.page.url()} (screenshot ${file}); console: ${JSON.stringify(p.errors)}\n`);
      }
    });
  });

  afterAll(async () => {
    // Clean up first: a failed check below must not leave nodes running.
    const errors = people.map((p) => [p.home.label, p.errors] as const);
    await browser?.close();
    await Promise.all(homes.map((h) => h.dispose()));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    for (const [label, list] of errors) expect(list, `console of ${label}`).toEqual([]);
  }, 60_000);

  test('A creates a space and an invite, B joins with the link, a file dropped in A reaches B', async () => {
    const b = await home('web-b');
    alice = await person(a);
    const pa = alice.page;

    await pa.getByRole('heading', { name: 'Welcome to Agora' }).waitFor();
    await alice.screenshot('first-run');
    await pa.getByLabel('Your name').fill('Alice');
    await pa.getByRole('button', { name: 'Continue' }).click();

    await pa.getByLabel('Name of the space').fill('Acme');
    await pa.getByRole('button', { name: 'Create space' }).click();
    await pa.getByRole('heading', { name: 'Acme', level: 1 }).waitFor();

    const docs = mkdtempSync(join(tmpdir(), 'agora-web-docs-'));
    dirs.push(docs);
    writeFileSync(join(docs, 'welcome.txt'), 'Welcome to the Acme docs\n');
    await pa.getByRole('button', { name: 'Add a folder' }).click();
    await pa.getByLabel('Folder on this computer').fill(docs);
    await pa.getByLabel('Name in the space (optional)').fill('Docs');
    await pa.getByRole('button', { name: 'Share folder' }).click();
    await pa.getByRole('heading', { name: 'Docs' }).waitFor();

    await pa.getByRole('button', { name: 'Invite people' }).click();
    await pa.getByRole('button', { name: 'Create invite link' }).click();
    const linkField = pa.getByTestId('invite-link');
    await linkField.waitFor();
    const link = await linkField.inputValue();
    expect(link).toMatch(/^agora:\/\/join\/agora1/);
    await expect.poll(() => pa.getByRole('img', { name: /QR code/ }).count()).toBe(1);
    await alice.screenshot('invite');
    await pa.getByRole('button', { name: 'Done' }).click();

    const bob = await person(b);
    const pb = bob.page;
    await pb.getByLabel('Your name').fill('Bob');
    await pb.getByRole('button', { name: 'Continue' }).click();
    await pb.getByLabel('Invite link').fill(link);
    await pb.getByRole('button', { name: 'Join' }).click();
    await pb.getByRole('heading', { name: 'Acme', level: 1 }).waitFor({ timeout: 30_000 });
    await pb.getByRole('heading', { name: 'Docs' }).waitFor({ timeout: 30_000 });

    // A drops a file from the desktop onto the folder view.
    await pa.getByRole('link', { name: 'Open folder Docs' }).click();
    await pa.getByRole('link', { name: 'Download welcome.txt' }).waitFor();
    await dropFile(pa, 'report.txt', 'Quarterly report from Alice\n');
    await pa.getByRole('link', { name: 'Download report.txt' }).waitFor({ timeout: 15_000 });
    await alice.screenshot('folder-browser');

    // B sees it in its folder view (live, no reload) and has it on disk.
    await pb.getByRole('link', { name: 'Open folder Docs' }).click();
    await pb.getByRole('link', { name: 'Download report.txt' }).waitFor({ timeout: 30_000 });
    const bDocs = await folderOnDisk(b, 'Docs');
    expect(bDocs).toBeDefined();
    await waitFor(() => existsSync(join(bDocs!, 'report.txt')), 'report.txt on B disk', 30_000);
    expect(readFileSync(join(bDocs!, 'report.txt'), 'utf8')).toBe('Quarterly report from Alice\n');

    // B's member list shows A online.
    await pb.goBack();
    await pb.getByRole('tab', { name: 'Members' }).click();
    await pb.getByLabel('Alice is online').waitFor({ timeout: 15_000 });
    await expectAccessible(pb, 'members (a member, with others)');
    await bob.screenshot('members');

    await pa.getByRole('link', { name: 'Folders' }).first().click();
    await pa.getByText('Bob: in sync').waitFor({ timeout: 30_000 });
    await expectAccessible(pa, 'folders (with a peer in sync)');
    await alice.screenshot('folders');
    await pa.getByRole('tab', { name: 'Members' }).click();
    await pa.getByLabel('Role of Bob').first().waitFor();
    await pa.getByLabel('Bob is online').waitFor();
    await expectAccessible(pa, 'members (admin: roles and remove)');
    await alice.screenshot('members-admin');
    await pa.getByRole('link', { name: 'Activity' }).click();
    await pa.getByText(/came online|joined Acme/).first().waitFor();
    await alice.screenshot('activity');
    await pa.getByRole('link', { name: 'Settings' }).click();
    await pa.getByLabel('Display name').waitFor();
    await alice.screenshot('settings');
  }, 180_000);

  test('a browser that was never signed in is told how to sign in', async () => {
    const stranger = await browser.newContext();
    const page = await stranger.newPage();
    const errors: string[] = [];
    page.on('console', (msg) => msg.type() === 'error' && errors.push(msg.text()));
    const { url } = await a.json<{ url: string }>('open', '--no-browser');
    await page.goto(url);
    await page.getByRole('heading', { name: 'Sign in to Agora' }).waitFor();
    await page.getByText('agora open', { exact: true }).waitFor();
    await stranger.close();
    expect(errors).toEqual([]);
  });

  test('on a phone-sized screen: join, open the space from the menu, see the files, upload one', async () => {
    const c = await home('web-phone');
    const invite = await a.json<{ link: string }>('invite', '--space', 'Acme');
    const carol = await person(c, { mobile: true });
    const pc = carol.page;
    await pc.getByLabel('Your name').fill('Carol');
    await pc.getByRole('button', { name: 'Continue' }).click();
    // A mistyped link: the node's error, and what to do, in words.
    await pc.getByLabel('Invite link').fill('agora1notavalidcode');
    await pc.getByRole('button', { name: 'Join' }).click();
    await pc.getByRole('alert').filter({ hasText: 'Could not join' }).getByText('Check that you pasted the whole link').waitFor();
    carol.allowHttpErrors(400);
    await pc.getByLabel('Invite link').fill(invite.link);
    await pc.getByRole('button', { name: 'Join' }).click();
    await pc.getByRole('heading', { name: 'Acme', level: 1 }).waitFor({ timeout: 30_000 });
    await pc.getByRole('heading', { name: 'Docs' }).waitFor({ timeout: 30_000 });
    await carol.screenshot('phone-space');

    // The navigation is behind the menu button on a phone.
    await pc.getByRole('link', { name: 'Settings' }).waitFor({ state: 'hidden' });
    await pc.getByRole('button', { name: 'Open navigation' }).click();
    await pc.getByRole('link', { name: 'Acme' }).click();
    await pc.getByRole('link', { name: 'Open folder Docs' }).click();
    await pc.getByRole('link', { name: 'Download report.txt' }).waitFor({ timeout: 30_000 });

    const chooser = pc.waitForEvent('filechooser');
    await pc.getByRole('button', { name: 'Upload files' }).click();
    await (await chooser).setFiles({ name: 'photo-note.txt', mimeType: 'text/plain', buffer: Buffer.from('Sent from a phone\n') });
    await pc.getByRole('link', { name: 'Download photo-note.txt' }).waitFor({ timeout: 15_000 });
    await carol.screenshot('phone-folder');
    const aDocs = await folderOnDisk(a, 'Docs');
    await waitFor(() => existsSync(join(aDocs!, 'photo-note.txt')), 'photo-note.txt on A disk', 30_000);
    expect(readFileSync(join(aDocs!, 'photo-note.txt'), 'utf8')).toBe('Sent from a phone\n');
  }, 120_000);

  test('with the keyboard alone: name, join, members, a space of ones own and its invite dialog', async () => {
    const d = await home('web-keys');
    const invite = await a.json<{ link: string }>('invite', '--space', 'Acme');
    const dave = await person(d);
    const pd = dave.page;
    const kb = pd.keyboard;

    await pd.getByLabel('Your name').waitFor();
    await expect.poll(() => focused(pd, pd.getByLabel('Your name'))).toBe(true);
    await kb.press('ControlOrMeta+A');
    await kb.type('Dave');
    await kb.press('Enter');

    await tabTo(pd, pd.getByLabel('Invite link'));
    await kb.type(invite.link);
    await kb.press('Enter');
    await pd.getByRole('heading', { name: 'Acme', level: 1 }).waitFor({ timeout: 30_000 });

    // Tabs: Tab reaches the selected one, the arrow keys move between them.
    await tabTo(pd, pd.getByRole('tab', { name: 'Folders' }));
    await kb.press('ArrowRight'); // Chat
    await pd.getByRole('heading', { name: 'general', level: 2 }).waitFor();
    await kb.press('ArrowRight'); // Members
    await pd.getByLabel('Alice is online').waitFor({ timeout: 15_000 });

    await tabTo(pd, pd.getByRole('link', { name: 'Spaces', exact: true }), 60, 'Shift+Tab');
    await kb.press('Enter');
    await tabTo(pd, pd.getByLabel('Name of the space'));
    await kb.type('Keys');
    await kb.press('Enter');
    await pd.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();
    await tabTo(pd, pd.getByRole('button', { name: 'Invite people' }));
    await kb.press('Enter');
    await tabTo(pd, pd.getByRole('button', { name: 'Create invite link' }));
    await kb.press('Enter');
    await pd.getByTestId('invite-link').waitFor();
    await kb.press('Escape');
    await pd.getByTestId('invite-link').waitFor({ state: 'detached' });
    await expect.poll(() => focused(pd, pd.getByRole('button', { name: 'Invite people' }))).toBe(true);
  }, 120_000);
});

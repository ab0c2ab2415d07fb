import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import { AgoraHome } from '../e2e/agora-process.js';
import { waitFor } from '../helpers/wait.js';
import { expectAccessible } from './a11y.js';
import { DESKTOP, launchChromium, Person, PHONE } from './browser.js';

/**
 * Every main screen of the web app on one real node, checked by axe at desktop and phone width;
 * and what lives on the node: first run, settings, activity, whole-directory uploads.
 */
describe('web app screens', () => {
  let browser: Browser;
  const home = new AgoraHome('web-screens');
  const docs = mkdtempSync(join(tmpdir(), 'agora-web-screens-'));
  const people: Person[] = [];
  let me: Person;

  const open = async () => {
    const p = await Person.open(browser, home);
    people.push(p);
    return p;
  };

  beforeAll(async () => {
    browser = await launchChromium();
    await home.start();
    writeFileSync(join(docs, 'welcome.txt'), 'Welcome\n');
    // A conflict copy as the engine names them, so the Conflicts tab has something to show.
    writeFileSync(join(docs, 'plan.txt'), 'mine\n');
    writeFileSync(join(docs, 'plan.sync-conflict-20250101-120000-ABCDEFG.txt'), 'theirs\n');
  }, 60_000);

  beforeEach(() => {
    onTestFailed(async () => {
      for (const p of people) {
        const file = join(tmpdir(), `agora-web-failure-screens-${people.indexOf(p)}.png`);
        await p.page.screenshot({ path: file }).catch(() => undefined);
        process.stderr.write(`screens test failed; page showed ${p.page.url()} (screenshot ${file}); console: ${JSON.stringify(p.errors)}\n`);
      }
    });
  });

  afterAll(async () => {
    // Clean up first: a failed check below must not leave the node running.
    const errors = people.map((p) => p.errors);
    await browser?.close();
    await home.dispose();
    rmSync(docs, { recursive: true, force: true });
    for (const list of errors) expect(list, 'browser console').toEqual([]);
  }, 60_000);

  /** axe at desktop width, then at phone width (the layout changes: menu, stacked forms), then back. */
  const bothSizes = async (page: Page, screen: string, ready: () => Promise<unknown>) => {
    await ready();
    await expectAccessible(page, screen);
    await page.setViewportSize(PHONE.viewport);
    await ready();
    await expectAccessible(page, screen);
    await page.setViewportSize(DESKTOP.viewport);
  };

  test('every main screen passes axe at desktop and phone size; first run is remembered by the node', async () => {
    me = await open();
    const p = me.page;
    await bothSizes(p, 'first run', () => p.getByRole('heading', { name: 'Welcome to Agora' }).waitFor());
    await p.getByLabel('Your name').fill('Erin');
    await p.getByRole('button', { name: 'Continue' }).click();
    await bothSizes(p, 'spaces', () => p.getByLabel('Name of the space').waitFor());

    await p.getByLabel('Name of the space').fill('Studio');
    await p.getByRole('button', { name: 'Create space' }).click();
    await p.getByRole('heading', { name: 'Studio', level: 1 }).waitFor();
    await home.json('folder', 'add', '--space', 'Studio', '--path', docs, '--name', 'Docs');
    await bothSizes(p, 'folders', () => p.getByRole('link', { name: 'Open folder Docs' }).waitFor());

    await p.getByRole('button', { name: 'Invite people' }).click();
    await bothSizes(p, 'invite dialog', () => p.getByRole('button', { name: 'Create invite link' }).waitFor());
    await p.getByRole('button', { name: 'Create invite link' }).click();
    await bothSizes(p, 'invite link and QR code', () => p.getByTestId('invite-link').waitFor());
    await p.getByRole('button', { name: 'Done' }).click();
    await p.getByTestId('invite-link').waitFor({ state: 'detached' });

    await p.getByRole('tab', { name: 'Members' }).click();
    await bothSizes(p, 'members', () => p.getByLabel('Erin is online').waitFor());
    await p.getByRole('tab', { name: 'Chat' }).click();
    await bothSizes(p, 'chat', () => p.getByRole('navigation', { name: 'Conversations' }).waitFor());
    await p.getByRole('button', { name: 'New channel' }).click();
    await bothSizes(p, 'new channel dialog', () => p.getByLabel('Channel name').waitFor());
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });
    await p.getByRole('button', { name: 'New message' }).click();
    await bothSizes(p, 'new direct message dialog', () => p.getByRole('dialog', { name: 'New direct message' }).waitFor());
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });
    await p.getByRole('tab', { name: 'Conflicts' }).click();
    await bothSizes(p, 'conflicts', () => p.getByRole('button', { name: 'Keep both' }).waitFor({ timeout: 15_000 }));
    await p.getByRole('tab', { name: 'History' }).click();
    await bothSizes(p, 'history', () => p.getByText('Erin created the space Studio').waitFor());

    await p.getByRole('tab', { name: 'Folders' }).click();
    await p.getByRole('link', { name: 'Open folder Docs' }).click();
    await bothSizes(p, 'folder browser', () => p.getByRole('link', { name: 'Download welcome.txt' }).waitFor());
    await p.getByRole('button', { name: 'Versions of welcome.txt' }).click();
    await bothSizes(p, 'versions dialog', () => p.getByRole('dialog').getByText(/No earlier versions|Restore/).first().waitFor());
    await p.keyboard.press('Escape');
    await p.getByRole('dialog').waitFor({ state: 'detached' });

    await p.getByRole('link', { name: 'Activity' }).click();
    await bothSizes(p, 'activity', () => p.getByText('Folder Studio/Docs is now shared here').waitFor());
    await p.getByRole('link', { name: 'Settings' }).click();
    await bothSizes(p, 'settings', () => p.getByLabel('Display name').waitFor());

    await p.setViewportSize(PHONE.viewport);
    await p.getByRole('button', { name: 'Open navigation' }).click();
    await p.getByRole('link', { name: 'Activity' }).waitFor();
    await expectAccessible(p, 'navigation menu (phone)');
    await p.setViewportSize(DESKTOP.viewport);

    // The node, not this browser, knows the name was chosen: a fresh browser goes straight to the app.
    const other = await open();
    await other.page.getByRole('heading', { name: 'Spaces', level: 1 }).waitFor();
    expect(await other.page.getByRole('heading', { name: 'Welcome to Agora' }).count()).toBe(0);
  }, 120_000);

  test('activity is kept by the node: it is still there after a page load', async () => {
    const p = me.page;
    await p.goto(p.url().replace(/#.*$/, '#/activity'));
    await p.reload();
    await p.getByText('Folder Studio/Docs is now shared here').waitFor();
    await p.getByText('You are now in the space Studio').waitFor();
  });

  test('settings: a bad address is refused with what is allowed, restart-only ones say so, the upload limit applies at once', async () => {
    const p = me.page;
    await p.goto(p.url().replace(/#.*$/, '#/settings'));
    const listen = p.getByLabel('Listen address');
    await listen.fill('not an address');
    await p.getByRole('button', { name: 'Save settings' }).click();
    await p.getByRole('alert').filter({ hasText: 'Not saved' }).getByText(/HOST:PORT with a port from 0 to 65535/).waitFor();
    me.allowHttpErrors(400);

    await listen.fill('127.0.0.1:0');
    await p.getByLabel('Full rescan every (minutes)').fill('30');
    await p.getByLabel('Largest upload (MB)').fill('1');
    await p.getByRole('button', { name: 'Save settings' }).click();
    await p.getByText('Saved. Restart Agora to apply').waitFor();
    await p.getByRole('alert').filter({ hasText: 'Restart needed' }).or(p.getByText('Restart needed', { exact: true })).first().waitFor();
    await expectAccessible(p, 'settings after saving');
    await me.screenshot('settings-saved');

    await p.goto(p.url().replace(/#.*$/, '#/'));
    await p.getByRole('link', { name: 'Open space Studio' }).click();
    await p.getByRole('link', { name: 'Open folder Docs' }).click();
    const chooser = p.waitForEvent('filechooser');
    await p.getByRole('button', { name: 'Upload files' }).click();
    await (await chooser).setFiles({ name: 'big.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(2 * 1024 * 1024, 1) });
    await p.getByRole('alert').filter({ hasText: 'Upload failed' }).getByText(/larger than the upload limit of 1 MB/).waitFor();
    expect(existsSync(join(docs, 'big.bin'))).toBe(false);

    // Back to no limit for the next test, through the API this time.
    const settings = await p.evaluate(`fetch('/api/v1/settings', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ maxUploadMb: 0 }) }).then((r) => r.json())`);
    expect((settings as { settings: { maxUploadMb: number } }).settings.maxUploadMb).toBe(0);
  }, 60_000);

  test('a whole directory, dropped or picked, arrives with its tree; a progress bar shows bytes sent', async () => {
    const p = me.page;
    await p.goto(p.url().replace(/#.*$/, '#/'));
    await p.getByRole('link', { name: 'Open space Studio' }).click();
    await p.getByRole('link', { name: 'Open folder Docs' }).click();
    await p.getByRole('link', { name: 'Download welcome.txt' }).waitFor();
    await recordProgress(p);
    await dropDirectory(p);
    await p.getByText(/Uploaded 3 files/).waitFor({ timeout: 30_000 });
    expect(readFileSync(join(docs, 'album/sub/b.txt'), 'utf8')).toBe('B');
    expect(readFileSync(join(docs, 'album/big.bin')).length).toBe(3_000_000);
    await p.getByRole('link', { name: /album/ }).waitFor();
    const seen = (await p.evaluate('globalThis.__progress')) as number[];
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(100);
    await p.getByTestId('upload-progress').waitFor({ state: 'detached' });

    const picked = mkdtempSync(join(tmpdir(), 'agora-web-pick-'));
    mkdirSync(join(picked, 'Reports', '2024'), { recursive: true });
    writeFileSync(join(picked, 'Reports', 'q1.txt'), 'Q1');
    writeFileSync(join(picked, 'Reports', '2024', 'q2.txt'), 'Q2');
    const chooser = p.waitForEvent('filechooser');
    await p.getByRole('button', { name: 'Upload a folder' }).click();
    await (await chooser).setFiles(join(picked, 'Reports'));
    await waitFor(() => existsSync(join(docs, 'Reports', '2024', 'q2.txt')), 'Reports/2024/q2.txt in the folder', 30_000);
    expect(readFileSync(join(docs, 'Reports', 'q1.txt'), 'utf8')).toBe('Q1');
    await p.getByRole('link', { name: /Reports/ }).waitFor();
    rmSync(picked, { recursive: true, force: true });
  }, 60_000);
});

/** Keeps every value the upload progress bar shows (it may come and go between two polls). */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    globalThis.__progress = [];
    new MutationObserver(() => {
      const bar = document.querySelector('[data-testid="upload-progress"] [role="progressbar"]');
      if (bar) globalThis.__progress.push(Number(bar.getAttribute('aria-valuenow')));
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  })()`);
}

/**
 * What Chromium hands over when a folder is dropped from the desktop: DataTransfer items whose
 * webkitGetAsEntry() gives a directory entry, read in batches until an empty one. A script
 * cannot make real directory entries, so these behave as Chromium's do.
 */
async function dropDirectory(page: Page): Promise<void> {
  await page.evaluate(`(() => {
    const file = (name, text) => ({ isFile: true, isDirectory: false, name, file: (ok) => ok(new File([text], name)) });
    const dir = (name, children) => ({
      isFile: false, isDirectory: true, name,
      createReader: () => { let given = 0; return { readEntries: (ok) => { const batch = children.slice(given, given + 2); given += batch.length; setTimeout(() => ok(batch)); } }; },
    });
    const root = dir('album', [file('a.txt', 'A'), dir('sub', [file('b.txt', 'B')]), file('big.bin', 'x'.repeat(3000000))]);
    const event = new DragEvent('drop', { bubbles: true, cancelable: true, dataTransfer: new DataTransfer() });
    Object.defineProperty(event, 'dataTransfer', { value: { items: [{ kind: 'file', webkitGetAsEntry: () => root, getAsFile: () => null }], files: [] } });
    document.querySelector('[data-testid="drop-zone"]').dispatchEvent(event);
  })()`);
}

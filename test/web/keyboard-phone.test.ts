import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import type { AuditItem } from '../../src/contract/api.js';
import type { AgoraHome } from '../e2e/agora-process.js';
import { waitFor } from '../helpers/wait.js';
import { expectAccessible } from './a11y.js';
import { focused, tabTo } from './browser.js';
import { WebNodes } from './nodes.js';

const LIVE = { timeout: 30_000 };

/**
 * Issue 5's keyboard-only and phone-sized runs of what an admin does first: share a folder
 * (with who gets it by default) with the keyboard alone, and on a phone create a space and an
 * invite for a guest with access to one folder, which a new node then joins.
 */
describe('the web app with the keyboard alone and on a phone', () => {
  const nodes = new WebNodes('web-kp');
  let k: AgoraHome;

  /** Opens the focused Mantine select with the arrow keys and picks `option` with Enter. */
  const pickWithKeys = async (page: Page, box: Locator, option: string) => {
    await tabTo(page, box);
    const highlightedText = async () => {
      const id = await box.getAttribute('aria-activedescendant');
      return id ? page.locator(`[id="${id}"]`).textContent() : null;
    };
    // The first press opens the list, and the select then highlights its current option; a key
    // pressed before that would be undone (a busy CI machine picked the old value this way).
    const current = await box.inputValue();
    await page.keyboard.press('ArrowDown');
    await expect.poll(highlightedText).toBe(current);
    // Each further press moves the highlight; wait until it has moved before reading it.
    let highlighted = await box.getAttribute('aria-activedescendant');
    for (let i = 0; i < 8 && (await highlightedText()) !== option; i++) {
      await page.keyboard.press('ArrowDown');
      const before = highlighted;
      await expect.poll(() => box.getAttribute('aria-activedescendant')).not.toBe(before);
      highlighted = await box.getAttribute('aria-activedescendant');
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => box.inputValue()).toBe(option);
  };

  beforeAll(async () => {
    await nodes.launch();
    k = await nodes.node('Kim');
    await k.json('space', 'create', 'Keys', '--dir', join(k.home, 'spaces'));
  }, 60_000);

  beforeEach(() => {
    onTestFailed(() => nodes.onFailure());
  });

  afterAll(async () => {
    for (const [label, list] of await nodes.dispose()) expect(list, `console of ${label}`).toEqual([]);
  }, 60_000);

  test('with the keyboard alone: open a space, add a folder with its default access, after a readable error', async () => {
    const kim = await nodes.person(k);
    const p = kim.page;
    const kb = p.keyboard;
    await p.getByRole('heading', { name: 'Spaces', level: 1 }).waitFor();
    await tabTo(p, p.getByRole('link', { name: 'Open space Keys' }));
    await kb.press('Enter');
    await p.getByRole('heading', { name: 'Keys', level: 1 }).waitFor();

    const add = p.getByRole('button', { name: 'Add a folder' });
    await tabTo(p, add);
    await kb.press('Enter');
    await expect.poll(() => add.or(p.getByRole('button', { name: 'Cancel' })).getAttribute('aria-expanded')).toBe('true');
    const path = p.getByLabel('Folder on this computer');
    await tabTo(p, path);
    // A path the node refuses: its reason, in words, next to the form.
    await kb.type('Reports');
    await kb.press('Enter');
    await p.getByRole('alert').filter({ hasText: 'The folder was not shared' }).getByText('The folder path must be absolute (got "Reports").').waitFor();
    kim.allowHttpErrors(400);
    expect(await focused(p, path)).toBe(true);

    const dir = join(nodes.tempDir('reports'), 'Reports');
    await kb.press('ControlOrMeta+A');
    await kb.type(dir);
    await tabTo(p, p.getByLabel('Name in the space (optional)'));
    await kb.type('Quarterly reports');
    await pickWithKeys(p, p.getByRole('combobox', { name: 'Members may' }), 'Read only');
    await pickWithKeys(p, p.getByRole('combobox', { name: 'Guests may' }), 'Read only');
    await expectAccessible(p, 'add a folder, with default access');
    await tabTo(p, p.getByRole('button', { name: 'Share folder' }));
    await kb.press('Enter');
    await p.getByRole('heading', { name: 'Quarterly reports' }).waitFor(LIVE);
    expect(existsSync(dir)).toBe(true);

    // The log holds the defaults chosen: members and guests may read.
    const audit = await k.json<AuditItem[]>('audit', '--space', 'Keys');
    const added = audit.find((e) => e.type === 'folder.add' && e.folderName === 'Quarterly reports');
    expect(added && 'access' in added ? added.access : null).toEqual({ members: 'read', guests: 'read' });

    // And the folder's Access panel, reached with the keyboard, says so.
    await tabTo(p, p.getByRole('link', { name: 'Open folder Quarterly reports' }));
    await kb.press('Enter');
    const panel = p.getByRole('region', { name: 'Access' });
    await panel.getByRole('combobox', { name: 'Guests (default)' }).waitFor(LIVE);
    await expect.poll(() => panel.getByRole('combobox', { name: 'Members (default)' }).inputValue()).toBe('Read only');
    await pickWithKeys(p, panel.getByRole('combobox', { name: 'Guests (default)' }), 'No access');
    await panel.getByRole('status').getByText('Saved. Guests by default: no access.').waitFor();
  }, 90_000);

  test('on a phone-sized screen: create a space, then invite a guest with read access to one folder', async () => {
    const pat = await nodes.person(k, { mobile: true });
    const p = pat.page;
    await p.getByRole('heading', { name: 'Spaces', level: 1 }).waitFor();
    await p.getByLabel('Name of the space').fill('Field team');
    await p.getByRole('button', { name: 'Create space' }).click();
    await p.getByRole('heading', { name: 'Field team', level: 1 }).waitFor();
    // A folder to grant (shared from the CLI: adding one is the keyboard test's subject).
    await k.json('folder', 'add', '--space', 'Field team', '--path', join(nodes.tempDir('photos'), 'Photos'), '--name', 'Site photos');
    await p.getByRole('link', { name: 'Open folder Site photos' }).waitFor(LIVE);

    await p.getByRole('button', { name: 'Invite people' }).click();
    const dialog = p.getByRole('dialog', { name: 'Invite people to Field team' });
    await dialog.getByRole('combobox', { name: 'Role' }).click();
    await p.getByRole('option', { name: 'Guest', exact: true }).click();
    await dialog.getByText('Guests (customers, suppliers) see only the folders you grant below.').waitFor();
    await dialog.getByRole('combobox', { name: 'Access to Site photos' }).click();
    await p.getByRole('option', { name: 'Read only', exact: true }).click();
    await expectAccessible(p, 'invite dialog on a phone, a guest with a grant');
    await dialog.getByRole('button', { name: 'Create invite link' }).click();
    const field = dialog.getByTestId('invite-link');
    await field.waitFor();
    const link = await field.inputValue();
    expect(link).toMatch(/^agora:\/\/join\/agora1/);
    await dialog.getByText('Folder access on joining: Site photos (read only)').waitFor();
    await dialog.getByRole('img', { name: /QR code/ }).waitFor();
    // The dialog fills the phone's screen, and nothing sticks out sideways.
    const box = await dialog.boundingBox();
    expect(box?.width).toBeLessThanOrEqual(390);
    expect(await p.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await expectAccessible(p, 'invite link on a phone');
    await pat.screenshot('phone-invite');
    await dialog.getByRole('button', { name: 'Done' }).click();
    await dialog.waitFor({ state: 'detached' });

    // The link works: a new node joins as a guest and gets the folder it was granted.
    const lee = await nodes.node('Lee');
    await lee.json('join', link, '--dir', join(lee.home, 'spaces'));
    await waitFor(async () => (await nodes.folderPath(lee, 'Site photos')) !== undefined, 'Site photos on Lee node', 30_000);
    expect((await nodes.status(lee, 'Field team/Site photos')).access).toBe('read');
    const roster = await k.json<{ name: string; role: string }[]>('members', '--space', 'Field team');
    expect(roster.find((m) => m.name === 'Lee')?.role).toBe('guest');
  }, 90_000);
});

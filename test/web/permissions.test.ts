import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import type { AgoraHome } from '../e2e/agora-process.js';
import { waitFor } from '../helpers/wait.js';
import { expectAccessible } from './a11y.js';
import type { Person } from './browser.js';
import { WebNodes } from './nodes.js';

const LIVE = { timeout: 30_000 };

/**
 * Issue 4's permissions in the web app, on four real nodes: admin Alice changes a role and
 * removes a member, grants guest Gina read access in a folder's Access panel (and Gina's node
 * gets the folder), makes the folder read-only for members; member Bob then sees that, sees the
 * change he made on his disk is not sent, and reverts to the shared version.
 */
describe('permissions in the web app', () => {
  const nodes = new WebNodes('web-perm');
  let a: AgoraHome;
  let b: AgoraHome;
  let g: AgoraHome;
  let alice: Person;
  let docs = '';

  /** Picks `option` in the Mantine select named `label` (a combobox whose listbox opens on a click). */
  const choose = async (page: Page, label: string, option: string) => {
    await page.getByRole('combobox', { name: label, exact: true }).click();
    await page.getByRole('option', { name: option, exact: true }).click();
  };
  const members = (h: AgoraHome) => h.json<{ name: string; role: string }[]>('members', '--space', 'Acme');
  const folderAccess = (h: AgoraHome) => h.json<{ name: string; access: string }[]>('folder', 'access', 'Acme/Docs');

  beforeAll(async () => {
    await nodes.launch();
    [a, b, g] = await Promise.all([nodes.node('Alice'), nodes.node('Bob'), nodes.node('Gina')]);
    const r = await nodes.node('Rita');
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'spaces'));
    docs = nodes.tempDir('docs');
    writeFileSync(join(docs, 'plan.txt'), 'The shared plan\n');
    await a.json('folder', 'add', '--space', 'Acme', '--path', docs, '--name', 'Docs');
    await nodes.join(a, b, 'Acme');
    await nodes.join(a, r, 'Acme');
    await nodes.join(a, g, 'Acme', 'guest');
    alice = await nodes.person(a);
  }, 90_000);

  beforeEach(() => {
    onTestFailed(() => nodes.onFailure());
  });

  afterAll(async () => {
    // Clean up first: a failed check below must not leave nodes running.
    for (const [label, list] of await nodes.dispose()) expect(list, `console of ${label}`).toEqual([]);
  }, 60_000);

  test('an admin changes a member to a guest, then removes her: the page and the node agree', async () => {
    const pa = alice.page;
    await pa.getByRole('link', { name: 'Open space Acme' }).click();
    await pa.getByRole('tab', { name: 'Members' }).click();
    await pa.getByRole('combobox', { name: 'Role of Rita' }).waitFor(LIVE);

    await choose(pa, 'Role of Rita', 'Guest');
    await pa.getByRole('status').getByText('Rita is now a guest.').waitFor();
    await expect.poll(() => pa.getByRole('combobox', { name: 'Role of Rita' }).inputValue()).toBe('Guest');
    expect((await members(a)).find((m) => m.name === 'Rita')?.role).toBe('guest');

    await pa.getByRole('button', { name: 'Remove Rita' }).click();
    const dialog = pa.getByRole('dialog', { name: 'Remove Rita?' });
    await dialog.getByText('no software can take them back').waitFor();
    await expectAccessible(pa, 'remove a member (confirmation)');
    await dialog.getByRole('button', { name: 'Remove', exact: true }).click();
    await pa.getByRole('status').getByText('Rita was removed from Acme.').waitFor();
    await pa.getByTestId('member-row').filter({ hasText: 'Rita' }).waitFor({ state: 'detached' });
    expect((await members(a)).map((m) => m.name).sort()).toEqual(['Alice', 'Bob', 'Gina']);
    // Bob's and Gina's rows are still there, with their roles.
    await expect.poll(() => pa.getByRole('combobox', { name: 'Role of Gina' }).inputValue()).toBe('Guest');
    await expect.poll(() => pa.getByRole('combobox', { name: 'Role of Bob' }).inputValue()).toBe('Member');
  }, 60_000);

  test("an admin grants a guest read access in the folder's Access panel; the guest's node gets the folder", async () => {
    const pa = alice.page;
    await pa.getByRole('tab', { name: 'Folders' }).click();
    await pa.getByRole('link', { name: 'Open folder Docs' }).click();
    const panel = pa.getByRole('region', { name: 'Access' });
    const row = (name: string) => panel.getByTestId('access-row').filter({ hasText: name });
    await row('Gina').waitFor(LIVE);
    // Every member with their effective access, and where it comes from.
    await row('Alice').getByText('Read and write').waitFor();
    await row('Alice').getByText('Admins always').waitFor();
    expect(await pa.getByRole('combobox', { name: 'Access of Bob' }).inputValue()).toBe('Read and write');
    await row('Bob').getByText('Default for members').waitFor();
    expect(await pa.getByRole('combobox', { name: 'Access of Gina' }).inputValue()).toBe('No access');
    await row('Gina').getByText('Default for guests').waitFor();
    expect(await panel.getByRole('combobox', { name: 'Members (default)' }).inputValue()).toBe('Read and write');
    expect(await panel.getByRole('combobox', { name: 'Guests (default)' }).inputValue()).toBe('No access');
    await expectAccessible(pa, 'folder with the Access panel');
    expect(await nodes.folderPath(g, 'Docs')).toBeUndefined();

    await choose(pa, 'Access of Gina', 'Read only');
    await panel.getByRole('status').getByText('Saved. Gina: read only.').waitFor();
    await expect.poll(() => pa.getByRole('combobox', { name: 'Access of Gina' }).inputValue()).toBe('Read only');
    await row('Gina').getByText('Set for this person').waitFor(LIVE);
    expect((await folderAccess(a)).find((m) => m.name === 'Gina')?.access).toBe('read');

    // Gina's node gets the folder and its file.
    let gDocs: string | undefined;
    await waitFor(async () => (gDocs = await nodes.folderPath(g, 'Docs')) !== undefined, 'Docs on Gina node', 30_000);
    await waitFor(() => existsSync(join(gDocs!, 'plan.txt')), 'plan.txt on Gina disk', 30_000);
    expect(readFileSync(join(gDocs!, 'plan.txt'), 'utf8')).toBe('The shared plan\n');

    // Members by default may now only read: Bob's row follows.
    await choose(pa, 'Members (default)', 'Read only');
    await panel.getByRole('status').getByText('Saved. Members by default: read only.').waitFor();
    await expect.poll(() => pa.getByRole('combobox', { name: 'Access of Bob' }).inputValue()).toBe('Read only');
    expect((await folderAccess(a)).find((m) => m.name === 'Bob')?.access).toBe('read');

    // A setting of Bob's own, then back to the role default: he follows the members' default again.
    await choose(pa, 'Access of Bob', 'Read and write');
    await panel.getByRole('status').getByText('Saved. Bob: read and write.').waitFor();
    await row('Bob').getByText('Set for this person').waitFor(LIVE);
    await choose(pa, 'Access of Bob', 'Role default');
    await panel.getByRole('status').getByText('Saved. Bob: back to the default of their role.').waitFor();
    await row('Bob').getByText('Default for members').waitFor(LIVE);
    await expect.poll(() => pa.getByRole('combobox', { name: 'Access of Bob' }).inputValue()).toBe('Read only');
    expect((await folderAccess(a)).find((m) => m.name === 'Bob')?.access).toBe('read');
    await expectAccessible(pa, 'Access panel after changes');
    await alice.screenshot('access-panel');
  }, 90_000);

  test('a member with read-only access sees it, sees a change made on his disk is not sent, and reverts it', async () => {
    const bDocs = await nodes.folderPath(b, 'Docs');
    expect(bDocs).toBeDefined();
    await waitFor(async () => (await nodes.status(b, 'Acme/Docs')).access === 'read', 'Bob node knows Docs is read-only', 30_000);
    const bob = await nodes.person(b);
    const pb = bob.page;
    await pb.getByRole('link', { name: 'Open space Acme' }).click();
    const card = pb.getByRole('article', { name: 'Docs' });
    await card.getByText('Read only', { exact: true }).waitFor(LIVE);
    await card.getByRole('link', { name: 'Open folder Docs' }).click();
    const notice = pb.getByRole('region', { name: 'You may only read this folder' });
    await notice.getByText('What you change here stays on this computer', { exact: false }).waitFor();
    await notice.getByText('No changes made here.').waitFor();
    // A member has no Access panel.
    expect(await pb.getByRole('region', { name: 'Access' }).count()).toBe(0);

    writeFileSync(join(bDocs!, 'plan.txt'), 'Bob changed this locally\n');
    await notice.getByText('1 change made here is not sent.').waitFor(LIVE);
    await expectAccessible(pb, 'read-only folder with a local change');
    await bob.screenshot('read-only-folder');
    // Alice's copy never saw it.
    expect(readFileSync(join(docs, 'plan.txt'), 'utf8')).toBe('The shared plan\n');

    await notice.getByRole('button', { name: 'Revert to the shared version' }).click();
    const dialog = pb.getByRole('dialog', { name: 'Revert to the shared version?' });
    await dialog.getByText('The 1 change made here in Docs will be replaced').waitFor();
    await expectAccessible(pb, 'revert confirmation');
    await dialog.getByRole('button', { name: 'Revert', exact: true }).click();
    await notice.getByRole('status').getByText('1 file gets the shared version back.').waitFor();
    await waitFor(() => readFileSync(join(bDocs!, 'plan.txt'), 'utf8') === 'The shared plan\n', 'the shared plan back on Bob disk', 30_000);
    await notice.getByText('No changes made here.').waitFor(LIVE);
    expect(await notice.getByRole('button', { name: 'Revert to the shared version' }).isDisabled()).toBe(true);
  }, 90_000);
});

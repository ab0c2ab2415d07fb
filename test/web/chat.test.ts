import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, onTestFailed, test } from 'vitest';
import { AgoraHome } from '../e2e/agora-process.js';
import { expectAccessible } from './a11y.js';
import { dropFile, focused, launchChromium, Person, tabTo } from './browser.js';

const LIVE = { timeout: 30_000 };

/**
 * The chat of issue 6 in real Chromium between two real nodes: messages arrive live in the other
 * browser, unread counts, mentions, attachments, edits and deletes, presence and notifications;
 * on a phone-sized screen and with the keyboard alone.
 */
describe('chat in the web app', () => {
  let browser: Browser;
  const homes: AgoraHome[] = [];
  const people: Person[] = [];
  let a: AgoraHome;
  let alice: Person;
  let bob: Person;
  let spaceId = '';

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
  /** The message whose text contains `text`, in the conversation shown. */
  const message = (page: Page, text: string) => page.getByTestId('chat-message').filter({ hasText: text });
  /** Opens a screen of the app by its address (the same page: only the hash changes). */
  const go = (page: Page, hash: string) => page.goto(`${new URL(page.url()).origin}/${hash}`);
  const send = async (page: Page, label: string, text: string) => {
    await page.getByLabel(`Message ${label}`).fill(text);
    await page.getByLabel(`Message ${label}`).press('Enter');
    await message(page, text).waitFor();
  };

  beforeAll(async () => {
    browser = await launchChromium();
    a = await home('chat-a');
  }, 60_000);

  beforeEach(() => {
    onTestFailed(async () => {
      for (const p of people) {
        const file = join(tmpdir(), `agora-chat-failure-${p.home.label}-${people.indexOf(p)}.png`);
        await p.page.screenshot({ path: file }).catch(() => undefined);
        process.stderr.write(`chat test failed; ${p.home.label} showed ${p.page.url()} (screenshot ${file}); console: ${JSON.stringify(p.errors)}\n`);
      }
    });
  });

  afterAll(async () => {
    // Clean up first: a failed check below must not leave nodes running.
    const errors = people.map((p) => [p.home.label, p.errors] as const);
    await browser?.close();
    await Promise.all(homes.map((h) => h.dispose()));
    for (const [label, list] of errors) expect(list, `console of ${label}`).toEqual([]);
  }, 60_000);

  test('A and B talk: live messages, mentions, unread counts, a channel, an attachment, edit, delete, presence', async () => {
    const b = await home('chat-b');
    alice = await person(a);
    const pa = alice.page;
    await pa.getByLabel('Your name').fill('Alice');
    await pa.getByRole('button', { name: 'Continue' }).click();
    await pa.getByLabel('Name of the space').fill('Acme');
    await pa.getByRole('button', { name: 'Create space' }).click();
    await pa.getByRole('heading', { name: 'Acme', level: 1 }).waitFor();
    spaceId = decodeURIComponent(/#\/space\/([^/]+)/.exec(pa.url())![1]!);

    const invite = await a.json<{ link: string }>('invite', '--space', 'Acme');
    bob = await person(b);
    const pb = bob.page;
    await pb.getByLabel('Your name').fill('Bob');
    await pb.getByRole('button', { name: 'Continue' }).click();
    await pb.getByLabel('Invite link').fill(invite.link);
    await pb.getByRole('button', { name: 'Join' }).click();
    await pb.getByRole('heading', { name: 'Acme', level: 1 }).waitFor(LIVE);

    // Both open the chat: general is open by default.
    for (const page of [pa, pb]) {
      await page.getByRole('tab', { name: /Chat/ }).click();
      await page.getByRole('heading', { name: 'general', level: 2 }).waitFor();
    }
    // A knows Bob by name before mentioning him.
    await expect.poll(() => a.json<{ name: string }[]>('members', '--space', 'Acme').then((l) => l.map((m) => m.name)), LIVE).toContain('Bob');

    // A writes in general; B sees it without reloading, with the mention of B marked.
    await send(pa, '#general', 'Hello @Bob, welcome to Acme');
    const hello = message(pb, 'welcome to Acme');
    await hello.waitFor(LIVE);
    await hello.getByText('Mentions you').waitFor();
    await hello.locator('mark', { hasText: '@Bob' }).waitFor();
    await expect.poll(() => hello.getByText('Alice', { exact: true }).count()).toBe(1);

    // B answers; A sees it.
    await send(pb, '#general', 'Thanks Alice!\nGlad to be here.');
    await message(pa, 'Glad to be here.').waitFor(LIVE);
    await expectAccessible(pa, 'chat (admin, a conversation)');

    // A (an admin) makes a channel and writes there; B, still in general, sees it unread.
    await pa.getByRole('button', { name: 'New channel' }).click();
    await pa.getByLabel('Channel name').fill('design');
    await pa.getByLabel('The whole history of the channel').check();
    await pa.getByRole('button', { name: 'Create channel' }).click();
    await pa.getByRole('heading', { name: 'design', level: 2 }).waitFor();
    await send(pa, '#design', 'Design review at three');
    const unread = pb.getByRole('link', { name: /design.*1 unread/ });
    await unread.waitFor(LIVE);
    await pb.getByRole('tab', { name: /Chat.*1 unread/ }).waitFor();
    await bob.screenshot('chat-unread');
    await unread.click();
    await message(pb, 'Design review at three').waitFor();
    await pb.getByRole('link', { name: /^design$/ }).waitFor();

    // A drags a file onto the conversation and sends it; B downloads it.
    await dropFile(pa, 'plan.txt', 'The plan, by Alice\n', 'chat-drop-zone');
    await pa.getByTestId('pending-attachment').getByText('Ready').waitFor(LIVE);
    await send(pa, '#design', 'Here is the plan');
    const plan = message(pb, 'Here is the plan').getByRole('link', { name: 'Download plan.txt' });
    await plan.waitFor(LIVE);
    const download = pb.waitForEvent('download');
    await plan.click();
    const file = await (await download).path();
    expect(readFileSync(file, 'utf8')).toBe('The plan, by Alice\n');

    // And one picked with the button.
    const chooser = pa.waitForEvent('filechooser');
    await pa.getByRole('button', { name: 'Attach files' }).click();
    await (await chooser).setFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Notes\n') });
    await pa.getByTestId('pending-attachment').getByText('Ready').waitFor(LIVE);
    await pa.getByRole('button', { name: 'Send' }).click();
    await pb.getByRole('link', { name: 'Download notes.txt' }).waitFor(LIVE);

    // A edits one message and deletes another; B sees both as such.
    await send(pa, '#design', 'Review moved to four');
    await message(pb, 'Review moved to four').waitFor(LIVE);
    await message(pa, 'Design review at three').getByRole('button', { name: /^Edit your message/ }).click();
    await pa.getByRole('textbox', { name: 'Edit your message' }).fill('Design review at half past three');
    await pa.getByRole('textbox', { name: 'Edit your message' }).press('Enter');
    await message(pb, 'Design review at half past three').getByText('(edited)').waitFor(LIVE);
    await message(pa, 'Review moved to four').getByRole('button', { name: /^Delete your message/ }).click();
    await pa.getByRole('dialog', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete' }).click();
    await pb.getByText('This message was deleted.').waitFor(LIVE);
    await expect.poll(() => message(pb, 'Review moved to four').count()).toBe(0);

    // Presence: A says away; B sees it next to A's name, then online again.
    await pa.getByRole('switch', { name: 'Show me as away' }).check();
    await pb.getByTitle('Alice is away').first().waitFor(LIVE);
    await pa.getByRole('switch', { name: 'Show me as away' }).uncheck();
    await pb.getByTitle('Alice is online').first().waitFor(LIVE);

    await expectAccessible(pb, 'chat (member, a channel with attachments)');
    await alice.screenshot('chat');

    // B starts a direct conversation with A from the picker; A sees it unread, then reads it.
    await pb.getByRole('button', { name: 'New message' }).click();
    await pb.getByRole('combobox', { name: 'Write to' }).click();
    await pb.getByRole('option', { name: 'Alice' }).click();
    await pb.getByRole('button', { name: 'Open conversation' }).click();
    await pb.getByRole('heading', { name: /Alice/, level: 2 }).waitFor();
    await send(pb, 'Alice', 'Just between us');
    await pa.getByRole('link', { name: /Bob.*1 unread/ }).click(LIVE);
    await message(pa, 'Just between us').waitFor();
    await expectAccessible(pa, 'chat (a direct conversation)');
    // From the member list, too.
    await pa.getByRole('tab', { name: 'Members' }).click();
    await pa.getByRole('link', { name: 'Message Bob' }).click();
    await message(pa, 'Just between us').waitFor();
    await send(pa, 'Bob', 'Sure, ask away');
    await message(pb, 'Sure, ask away').waitFor(LIVE);
  }, 240_000);

  test('a notification for a message that arrives while the page is hidden, after the user turned them on', async () => {
    const pb = bob.page;
    await bob.context.grantPermissions(['notifications']);
    await go(pb, `#/space/${encodeURIComponent(spaceId)}/chat/general`);
    await pb.getByRole('heading', { name: 'general', level: 2 }).waitFor();
    await pb.getByRole('button', { name: 'Turn on notifications' }).click();
    await pb.getByRole('switch', { name: 'Notify me of new messages' }).waitFor();

    // The page is hidden (another tab is in front); the browser's Notification records what it shows.
    await pb.evaluate(`(() => {
      globalThis.shown = [];
      globalThis.Notification = class { static permission = 'granted'; constructor(title, options) { globalThis.shown.push({ title, body: options && options.body }); } close() {} };
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      document.dispatchEvent(new Event('visibilitychange'));
    })()`);
    await alice.page.getByRole('link', { name: /^general/ }).click();
    await send(alice.page, '#general', 'Lunch at noon?');
    await expect.poll(() => pb.evaluate('globalThis.shown'), LIVE).toEqual([{ title: 'Alice in #general', body: 'Lunch at noon?' }]);
    // Back on the page: the message was left unread while hidden, and is read now.
    await pb.evaluate(`(() => { delete document.visibilityState; document.dispatchEvent(new Event('visibilitychange')); })()`);
    await message(pb, 'Lunch at noon?').waitFor();
    await expect.poll(() => pb.getByRole('tab', { name: /unread/ }).count(), LIVE).toBe(0);
  }, 120_000);

  test('on a phone-sized screen: the list, then a conversation, and a message sent with the Send button', async () => {
    const phone = await person(a, { mobile: true });
    const pp = phone.page;
    await go(pp, `#/space/${encodeURIComponent(spaceId)}/chat`);
    await pp.getByRole('navigation', { name: 'Conversations' }).waitFor();
    await expectAccessible(pp, 'chat list (phone)');
    await pp.getByRole('link', { name: /^general/ }).click();
    await pp.getByRole('heading', { name: 'general', level: 2 }).waitFor();
    await expect.poll(() => pp.getByRole('navigation', { name: 'Conversations' }).count()).toBe(0);
    await pp.getByLabel('Message #general').fill('Sent from my phone');
    await pp.getByRole('button', { name: 'Send' }).click();
    await message(pp, 'Sent from my phone').waitFor();
    await message(bob.page, 'Sent from my phone').waitFor(LIVE);
    await expectAccessible(pp, 'chat conversation (phone)');
    await phone.screenshot('phone-chat');
    await pp.getByRole('link', { name: 'All conversations' }).click();
    await pp.getByRole('navigation', { name: 'Conversations' }).waitFor();
  }, 120_000);

  test('with the keyboard alone: to the chat tab, into the composer, Shift+Enter for a new line, Enter to send', async () => {
    const pb = bob.page;
    const kb = pb.keyboard;
    await go(pb, `#/space/${encodeURIComponent(spaceId)}/folders`);
    await pb.getByRole('heading', { name: 'Acme', level: 1 }).waitFor();
    await tabTo(pb, pb.getByRole('tab', { name: 'Folders' }));
    await kb.press('ArrowRight');
    await pb.getByRole('heading', { name: 'general', level: 2 }).waitFor();
    const composer = pb.getByLabel('Message #general');
    await tabTo(pb, composer);
    await kb.type('First line');
    await kb.press('Shift+Enter');
    await kb.type('second line');
    await kb.press('Enter');
    await message(alice.page, 'second line').waitFor(LIVE);
    expect(await message(alice.page, 'second line').innerText()).toContain('First line\nsecond line');
    await expect.poll(() => composer.inputValue()).toBe('');
    await expect.poll(() => focused(pb, composer)).toBe(true);

    // One's own message, edited with the keyboard: Tab to its Edit button, Escape gives up, Enter saves.
    await tabTo(pb, message(pb, 'second line').getByRole('button', { name: /^Edit your message/ }), 80, 'Shift+Tab');
    await kb.press('Enter');
    await expect.poll(() => focused(pb, pb.getByRole('textbox', { name: 'Edit your message' }))).toBe(true);
    await kb.press('Escape');
    await expect.poll(() => focused(pb, message(pb, 'second line').getByRole('button', { name: /^Edit your message/ }))).toBe(true);
  }, 120_000);
});

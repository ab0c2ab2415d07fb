import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';

interface Message {
  messageId: string;
  channelId: string;
  channel: string;
  author: string;
  authorName: string;
  text: string;
  mentions: string[];
  attachments: { attachmentId: string; name: string; size: number; available: boolean }[];
  sentAt: number;
  editedAt: number | null;
  deleted: boolean;
}
interface Channel {
  channelId: string;
  name: string;
  kind: string;
  members: number;
  unread: number;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/**
 * Chat through the CLI with real processes: admin A, member B, guest G. Channels, direct
 * messages, a private channel, an attachment, edits and deletes, the live tail, and a message
 * that waits for B while B's node is stopped.
 */
describe('end to end: chat from the CLI', () => {
  const a = new AgoraHome('ca');
  const b = new AgoraHome('cb');
  const g = new AgoraHome('cg');
  const ids = { a: '', b: '', g: '' };
  let hello: Message;

  const read = (home: AgoraHome, ...target: string[]) => home.json<Message[]>('chat', 'read', '--space', 'Acme', ...target);
  const channels = (home: AgoraHome) => home.json<Channel[]>('chat', 'channels', '--space', 'Acme');
  const send = (home: AgoraHome, ...args: string[]) => home.json<Message>('chat', 'send', '--space', 'Acme', ...args);
  /** Polls `read` until a message with this id is there (and, if given, passes `check`). */
  const arrives = async (home: AgoraHome, target: string[], id: string, check: (m: Message) => boolean = () => true): Promise<Message> => {
    let found: Message | undefined;
    let last = '';
    const seen = async () => {
      // The conversation itself may not be readable yet (a channel not learned yet): poll through that too.
      const r = await home.run('chat', 'read', '--space', 'Acme', ...target, '--json');
      last = r.stderr;
      found = r.code === 0 ? (JSON.parse(r.stdout) as Message[]).find((m) => m.messageId === id) : undefined;
      return found !== undefined && check(found);
    };
    await waitFor(seen, `${home.label} sees message ${id.slice(0, 12)} in ${target.join(' ')}`, 20_000).catch((err: Error) => {
      throw new Error(`${err.message} (last error: ${last || 'none'})`);
    });
    return found!;
  };

  beforeAll(async () => {
    await a.json('init', '--name', 'Alice');
    await b.json('init', '--name', 'Bob');
    await g.json('init', '--name', 'Gina');
    const started = await Promise.all([a.start(), b.start(), g.start()]);
    [ids.a, ids.b, ids.g] = started.map((s) => String(s.deviceId)) as [string, string, string];
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'acme'));
    const member = await a.json<{ code: string }>('invite', '--space', 'Acme');
    await b.json('join', member.code, '--dir', join(b.home, 'acme'));
    const guest = await a.json<{ code: string }>('invite', '--space', 'Acme', '--role', 'guest');
    await g.json('join', guest.code, '--dir', join(g.home, 'acme'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose(), g.dispose()]);
  });

  it('A posts in general, B reads it with its author; B replies; --since gives only what follows', async () => {
    hello = await send(a, '--channel', 'general', 'Hello team, welcome @Bob');
    expect(hello).toMatchObject({ channelId: 'general', channel: 'general', author: ids.a, authorName: 'Alice', mentions: [ids.b], editedAt: null, deleted: false });
    const onB = await arrives(b, ['--channel', 'general'], hello.messageId);
    expect(onB).toMatchObject({ author: ids.a, authorName: 'Alice', text: 'Hello team, welcome @Bob', channel: 'general', attachments: [], sentAt: hello.sentAt, editedAt: null });

    const reply = await send(b, '--channel', 'general', 'Thanks Alice');
    await arrives(a, ['--channel', 'general'], reply.messageId);
    const since = await read(a, '--channel', 'general', '--since', hello.messageId);
    expect(since.map((m) => [m.authorName, m.text])).toEqual([['Bob', 'Thanks Alice']]);
    const text = await b.run('chat', 'read', '--space', 'Acme', '--channel', 'general');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Alice: Hello team, welcome @Bob');
    expect(text.stdout).toContain('Bob: Thanks Alice');
  }, 60_000);

  it('a direct message goes with --to and is read with --with; the guest is not in general', async () => {
    const dm = await send(a, '--to', 'Gina', 'Hi Gina, your order shipped');
    expect(dm.channel).toBe('@Gina');
    // A guest learns a member's name only from a private channel they share (not from a direct
    // message, which is not in the space log): until then it names Alice by her id.
    const onG = await arrives(g, ['--with', ids.a.slice(0, 12)], dm.messageId);
    expect(onG).toMatchObject({ author: ids.a, text: 'Hi Gina, your order shipped' });
    const list = await channels(g);
    expect(list.map((c) => c.kind)).toEqual(['direct']);
    expect(list.map((c) => c.name)).not.toContain('general');
    const general = await g.run('chat', 'read', '--space', 'Acme', '--channel', 'general');
    expect(general.code).toBe(1);
    expect((await channels(b)).map((c) => c.name)).toEqual(['general']);
  }, 60_000);

  it('a private channel with --member is visible to that guest and not to the member outside it', async () => {
    const deals = await a.json<Channel>('chat', 'channel', 'create', '--space', 'Acme', 'deals', '--member', 'Gina');
    expect(deals).toMatchObject({ name: 'deals', kind: 'private', members: 2 });
    const offer = await send(a, '--channel', 'deals', 'Our offer is attached soon');
    expect((await arrives(g, ['--channel', 'deals'], offer.messageId)).authorName).toBe('Alice');
    expect((await channels(g)).map((c) => c.name).sort()).toEqual(['@Alice', 'deals']);
    expect((await read(g, '--with', 'Alice')).map((m) => [m.authorName, m.text])).toEqual([['Alice', 'Hi Gina, your order shipped']]);
    expect((await channels(b)).map((c) => c.name)).toEqual(['general']);
    const outside = await b.run('chat', 'read', '--space', 'Acme', '--channel', 'deals', '--json');
    expect(outside.code).toBe(1);
    expect(JSON.parse(outside.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const refused = await b.run('chat', 'channel', 'create', '--space', 'Acme', 'mine', '--json');
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stderr)).toMatchObject({ error: { code: 'FORBIDDEN' } });
  }, 60_000);

  it('a 3 MB attachment sent with --attach arrives byte for byte', async () => {
    const file = join(a.home, 'plan.bin');
    writeFileSync(file, randomBytes(3 * 1024 * 1024 + 123));
    const sent = await send(a, '--channel', 'general', 'The plan', '--attach', file);
    expect(sent.attachments).toEqual([{ attachmentId: expect.stringMatching(/^[0-9a-f]{64}$/), name: 'plan.bin', size: 3 * 1024 * 1024 + 123, available: true }]);
    const onB = await arrives(b, ['--channel', 'general'], sent.messageId);
    expect(onB.attachments.map((x) => [x.name, x.size])).toEqual([['plan.bin', 3 * 1024 * 1024 + 123]]);
    const out = join(b.home, 'plan-copy.bin');
    const got = await b.json<{ path: string; size: number }>('chat', 'attachment', 'get', '--space', 'Acme', sent.attachments[0]!.attachmentId, '--out', out);
    expect(got).toMatchObject({ path: out, size: 3 * 1024 * 1024 + 123 });
    expect(sha256(out)).toBe(sha256(file));
  }, 60_000);

  it('an edit and a delete show as such on the other side; nobody edits another\'s message', async () => {
    await a.json('chat', 'edit', '--space', 'Acme', hello.messageId.slice(0, 12), 'Hello team (edited)');
    await arrives(b, ['--channel', 'general'], hello.messageId, (m) => m.text === 'Hello team (edited)' && m.editedAt !== null);
    expect((await b.run('chat', 'read', '--space', 'Acme', '--channel', 'general')).stdout).toMatch(/Alice: Hello team \(edited\) \[edited\]/);

    const notMine = await b.run('chat', 'edit', '--space', 'Acme', hello.messageId, 'hijacked');
    expect(notMine.code).toBe(1);

    await a.json('chat', 'delete', '--space', 'Acme', hello.messageId);
    const gone = await arrives(b, ['--channel', 'general'], hello.messageId, (m) => m.deleted);
    expect(gone).toMatchObject({ deleted: true, text: '' });
    expect((await b.run('chat', 'read', '--space', 'Acme', '--channel', 'general')).stdout).toMatch(/Alice: \[deleted\]/);
  }, 60_000);

  it('chat tail --json on B prints the next message of A as it arrives', async () => {
    const tail = b.spawn('chat', 'tail', '--space', 'Acme', '--json');
    let stdout = '';
    let stderr = '';
    tail.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    tail.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => tail.on('exit', (code) => resolve(code)));
    try {
      await waitFor(() => stderr.includes('Following'), 'the tail follows the event stream', 15_000);
      const live = await send(a, '--channel', 'general', 'Live news');
      await waitFor(() => stdout.includes('Live news'), 'the tail prints the message', 10_000);
      const line = JSON.parse(stdout.split('\n').find((l) => l.includes('Live news'))!) as Message & { kind: string };
      expect(line).toMatchObject({ kind: 'post', messageId: live.messageId, authorName: 'Alice', channel: 'general', text: 'Live news' });
    } finally {
      tail.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 60_000);

  it('usage and errors: an unknown channel is an error (exit 1), a missing TEXT a usage error (exit 2)', async () => {
    const unknown = await a.run('chat', 'send', '--space', 'Acme', '--channel', 'nowhere', 'hi');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('No channel "nowhere"');
    expect(unknown.stderr).toContain('agora chat channels');
    const noText = await a.run('chat', 'send', '--space', 'Acme', '--channel', 'general');
    expect(noText.code).toBe(2);
    const both = await a.run('chat', 'send', '--space', 'Acme', '--channel', 'general', '--to', 'Bob', 'hi');
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('not both');
    const missingFile = await a.run('chat', 'send', '--space', 'Acme', '--channel', 'general', 'x', '--attach', join(a.home, 'none.bin'));
    expect(missingFile.code).toBe(1);
  }, 60_000);

  it('a message sent while B is stopped reaches B when it starts again', async () => {
    await b.stop();
    const late = await send(a, '--channel', 'general', 'While you were away');
    await b.start();
    const onB = await arrives(b, ['--channel', 'general'], late.messageId);
    expect(onB).toMatchObject({ authorName: 'Alice', text: 'While you were away' });
  }, 90_000);
});

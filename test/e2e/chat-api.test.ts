import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { AgoraHome } from './agora-process.js';

interface Message {
  messageId: string;
  channelId: string;
  channel: string;
  author: string;
  authorName: string;
  text: string;
  attachments: { attachmentId: string; name: string; size: number; available: boolean }[];
  editedAt: number | null;
  deleted: boolean;
}

/**
 * The chat routes of the local API on one real node: status codes and error codes, the JSON
 * each route answers, attachments streamed in and out, the upload limit, and presence.
 * What travels between nodes is the business of chat.test.ts and the simulation.
 */
describe('chat API', () => {
  const home = new AgoraHome('chat-api');
  let base = '';
  let token = '';
  let selfId = '';

  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? null : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : undefined };
  };
  const ok = async <T>(method: string, path: string, body?: unknown, status = 200): Promise<T> => {
    const r = await call(method, path, body);
    expect(r.status, JSON.stringify(r.json)).toBe(status);
    return r.json as T;
  };
  const errorOf = async (method: string, path: string, body?: unknown) => {
    const r = await call(method, path, body);
    return { status: r.status, code: (r.json as { error: { code: string } }).error.code };
  };
  const upload = (name: string, body: Uint8Array | ReadableStream<Uint8Array>) =>
    fetch(`${base}/api/v1/spaces/Talk/chat/attachments?name=${encodeURIComponent(name)}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/octet-stream' },
      body,
      ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
    } as RequestInit);

  beforeAll(async () => {
    await home.json('init', '--name', 'Alice');
    const status = await home.start();
    base = String(status.api);
    selfId = String(status.deviceId);
    token = readFileSync(join(home.home, 'api-token'), 'utf8').trim();
    await home.json('space', 'create', 'Talk');
  }, 60_000);

  afterAll(async () => {
    await home.dispose();
  });

  test('a new space has general; channels are created by name, and bad ones refused with a code', async () => {
    const list = await ok<{ channelId: string; name: string; kind: string; members: number; unread: number }[]>('GET', '/api/v1/spaces/Talk/chat/channels');
    expect(list).toEqual([expect.objectContaining({ channelId: 'general', name: 'general', kind: 'general', members: 1, unread: 0, with: null, lastMessageAt: null })]);

    const created = await ok<{ name: string; kind: string; history: string }>('POST', '/api/v1/spaces/Talk/chat/channels', { name: 'ops', history: 'full' }, 201);
    expect(created).toMatchObject({ name: 'ops', kind: 'channel', history: 'full', members: 1 });
    expect(await errorOf('POST', '/api/v1/spaces/Talk/chat/channels', { name: 'Ops' })).toEqual({ status: 409, code: 'CONFLICT' });
    expect(await errorOf('POST', '/api/v1/spaces/Talk/chat/channels', { name: 'two words' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await errorOf('POST', '/api/v1/spaces/Talk/chat/channels', { name: 'x', members: ['nobody'] })).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await errorOf('POST', '/api/v1/spaces/Nope/chat/channels', { name: 'x' })).toEqual({ status: 404, code: 'NOT_FOUND' });
    // Only private channels have a member list.
    expect(await errorOf('PUT', `/api/v1/spaces/Talk/chat/channels/ops/members/${selfId}`)).toEqual({ status: 400, code: 'BAD_REQUEST' });
    const names = (await ok<{ name: string }[]>('GET', '/api/v1/spaces/Talk/chat/channels')).map((c) => c.name);
    expect(names).toEqual(['general', 'ops']);
  });

  test('send, read (since, limit), get one, edit and delete', async () => {
    const first = await ok<Message>('POST', '/api/v1/spaces/Talk/chat/messages', { channel: 'general', text: 'first' }, 201);
    expect(first).toMatchObject({ channelId: 'general', channel: 'general', author: selfId, authorName: 'Alice', text: 'first', attachments: [], editedAt: null, deleted: false });
    const second = await ok<Message>('POST', '/api/v1/spaces/Talk/chat/messages', { channel: '#ops', text: 'in ops' }, 201);
    const third = await ok<Message>('POST', '/api/v1/spaces/Talk/chat/messages', { channel: 'general', text: 'third' }, 201);
    expect(second.channel).toBe('ops');

    const all = await ok<Message[]>('GET', '/api/v1/spaces/Talk/chat/messages?channel=general');
    expect(all.map((m) => m.text)).toEqual(['first', 'third']);
    expect((await ok<Message[]>('GET', `/api/v1/spaces/Talk/chat/messages?channel=general&since=${first.messageId.slice(0, 10)}`)).map((m) => m.text)).toEqual(['third']);
    expect((await ok<Message[]>('GET', '/api/v1/spaces/Talk/chat/messages?channel=general&limit=1&markRead=false')).map((m) => m.text)).toEqual(['third']);
    expect(await errorOf('GET', '/api/v1/spaces/Talk/chat/messages?channel=general&since=abcdef0123')).toEqual({ status: 404, code: 'NOT_FOUND' });

    expect((await ok<Message>('GET', `/api/v1/spaces/Talk/chat/messages/${second.messageId}`)).text).toBe('in ops');
    expect((await ok<Message>('GET', `/api/v1/spaces/Talk/chat/messages/${second.messageId}?channel=${second.channelId}`)).text).toBe('in ops');
    expect(await errorOf('GET', `/api/v1/spaces/Talk/chat/messages/${second.messageId}?channel=general`)).toEqual({ status: 404, code: 'NOT_FOUND' });

    const edited = await ok<Message>('PATCH', `/api/v1/spaces/Talk/chat/messages/${third.messageId.slice(0, 12)}`, { text: 'third, edited' });
    expect(edited).toMatchObject({ messageId: third.messageId, text: 'third, edited', deleted: false });
    expect(edited.editedAt).not.toBeNull();
    const deleted = await ok<Message>('DELETE', `/api/v1/spaces/Talk/chat/messages/${first.messageId}`);
    expect(deleted).toMatchObject({ messageId: first.messageId, deleted: true, text: '' });
    expect(await errorOf('PATCH', `/api/v1/spaces/Talk/chat/messages/${first.messageId}`, { text: 'again' })).toEqual({ status: 409, code: 'CONFLICT' });
  });

  test('bad messages are refused with what is wrong, never an internal error', async () => {
    const post = (body: unknown) => errorOf('POST', '/api/v1/spaces/Talk/chat/messages', body);
    expect(await post({ channel: 'general', to: 'Alice', text: 'x' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ text: 'x' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ channel: 'general' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ channel: 'general', text: '   ' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ channel: 'nowhere', text: 'x' })).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(await post({ to: 'Alice', text: 'x' })).toEqual({ status: 400, code: 'BAD_REQUEST' }); // no direct message to oneself
    expect(await post({ channel: 'general', text: 'é'.repeat(9000) })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    expect(await post({ channel: 'general', text: '\u0001'.repeat(6000) })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    const notUploaded = { id: 'ab'.repeat(32), name: 'x.txt', size: 1 };
    expect(await post({ channel: 'general', text: 'x', attachments: [notUploaded] })).toEqual({ status: 400, code: 'BAD_REQUEST' });
  });

  test('an attachment is streamed in, sent, and streamed out byte for byte', async () => {
    const bytes = randomBytes(1_500_000);
    const res = await upload('report 1.pdf', bytes);
    expect(res.status).toBe(201);
    const ref = (await res.json()) as { id: string; name: string; size: number };
    expect(ref).toMatchObject({ name: 'report 1.pdf', size: bytes.length });
    expect(ref.id).toMatch(/^[0-9a-f]{64}$/);

    expect(await errorOf('POST', '/api/v1/spaces/Talk/chat/messages', { channel: 'general', text: '', attachments: [{ ...ref, size: 5 }] })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    const sent = await ok<Message>('POST', '/api/v1/spaces/Talk/chat/messages', { channel: 'general', text: '', attachments: [ref] }, 201);
    expect(sent.attachments).toEqual([{ attachmentId: ref.id, name: 'report 1.pdf', size: bytes.length, available: true }]);

    const get = await fetch(`${base}/api/v1/spaces/Talk/chat/attachments/${ref.id}`, { headers: { authorization: `Bearer ${token}` } });
    expect(get.status).toBe(200);
    expect(get.headers.get('content-disposition')).toBe(`attachment; filename*=UTF-8''report%201.pdf`);
    expect(get.headers.get('content-length')).toBe(String(bytes.length));
    expect(Buffer.from(await get.arrayBuffer()).equals(bytes)).toBe(true);

    expect(await errorOf('GET', `/api/v1/spaces/Talk/chat/attachments/${'cd'.repeat(32)}`)).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect((await upload('a/b.txt', new Uint8Array([1]))).status).toBe(400);
  });

  test('uploads over the limit of the settings are refused, with or without a declared length', async () => {
    await ok('PATCH', '/api/v1/settings', { maxUploadMb: 1 });
    try {
      const declared = await upload('big.bin', randomBytes(1_100_000));
      expect(declared.status).toBe(413);
      expect(((await declared.json()) as { error: { code: string } }).error.code).toBe('TOO_LARGE');
      let sent = 0;
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          if (sent >= 1_200_000) return controller.close();
          sent += 100_000;
          controller.enqueue(randomBytes(100_000));
        },
      });
      const chunked = await upload('big.bin', stream);
      expect(chunked.status).toBe(413);
      expect((await upload('small.bin', randomBytes(1000))).status).toBe(201);
    } finally {
      await ok('PATCH', '/api/v1/settings', { maxUploadMb: 0 });
    }
  });

  test('presence: set to away, seen in the member list; only online or away may be set', async () => {
    expect(await ok('GET', '/api/v1/chat/presence')).toEqual({ state: 'online' });
    expect(await ok('PUT', '/api/v1/chat/presence', { state: 'away' })).toEqual({ state: 'away' });
    const members = await ok<{ memberId: string; presence: string; online: boolean }[]>('GET', '/api/v1/spaces/Talk/members');
    expect(members.find((m) => m.memberId === selfId)).toMatchObject({ presence: 'away' });
    expect(await errorOf('PUT', '/api/v1/chat/presence', { state: 'offline' })).toEqual({ status: 400, code: 'BAD_REQUEST' });
    await ok('PUT', '/api/v1/chat/presence', { state: 'online' });
  });

  test('the chat routes are in the OpenAPI document under the chat tag', async () => {
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    for (const path of ['/api/v1/spaces/{space}/chat/channels', '/api/v1/spaces/{space}/chat/messages', '/api/v1/spaces/{space}/chat/attachments', '/api/v1/chat/presence']) {
      expect(Object.values(doc.paths[path] ?? {}).some((op) => op.tags?.includes('chat')), path).toBe(true);
    }
  });
});

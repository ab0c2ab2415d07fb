import NoiseSecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Protomux from 'protomux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto.js';
import { CHAT_PROTOCOL } from '../../src/protocol/chat-wire.js';
import { decodeInviteCode } from '../../src/protocol/invite.js';
import { PROTOCOLS } from '../../src/protocol/messages.js';
import { SYNC_PROTOCOL } from '../../src/protocol/sync-messages.js';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';

interface Member {
  memberId: string;
  name: string;
  role: string;
  online: boolean;
  self: boolean;
}

const everyoneOnline = async (h: AgoraHome, count: number) => {
  const members = await h.json<Member[]>('members', '--space', 'Acme');
  return members.length === count && members.every((m) => m.online);
};

/** One HTTP request with exactly these headers (fetch may not set Host); an upgrade answers 101. */
function rawRequest(api: URL, path: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: api.hostname, port: Number(api.port), path, method, headers, timeout: 10_000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve({ status: res.statusCode ?? 0, body: '' });
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer`)));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A stranger with a fresh key and no invite of its own (it saw someone's invite code, so it
 * knows the space id, and makes up an invite id) dials `address` itself and tries to open
 * every Agora channel there is.
 */
async function strangerDials(address: string, seenCode: string) {
  const { offer } = decodeInviteCode(seenCode);
  const [host, port] = address.split(':');
  const keyPair = generateKeyPair();
  const socket = connect(Number(port), host!);
  const stream = new NoiseSecretStream(true, socket, { keyPair });
  const received: Buffer[] = [];
  let closed = false;
  stream.on('data', (data: unknown) => void received.push(Buffer.from(data as Uint8Array)));
  stream.on('error', () => {});
  stream.on('close', () => (closed = true));
  const handshake = await stream.opened;
  const remoteKey = handshake && stream.remotePublicKey ? stream.remotePublicKey.toString('hex') : null;
  // The node's verdict first (its "admitted" message, or the hang-up): channels opened at once
  // could make it hang up before that message has left, and the test would depend on the race.
  await waitFor(() => received.length > 0 || closed, `${address} to admit or drop the stranger`, 12_000);
  const opened: string[] = [];
  if (!closed) {
    const mux = new Protomux(stream);
    const space = Buffer.from(offer.spaceId, 'hex');
    const channels: [string, Buffer | null][] = [
      [PROTOCOLS.control, null],
      [PROTOCOLS.log, space],
      [PROTOCOLS.invite, randomBytes(offer.inviteId.length / 2)],
      [SYNC_PROTOCOL, space],
      [CHAT_PROTOCOL, space],
    ];
    for (const [protocol, id] of channels) {
      const ch = mux.createChannel({ protocol, id, onopen: () => void opened.push(protocol) });
      ch?.addMessage({ encoding: c.buffer });
      ch?.open();
    }
  }
  await waitFor(() => closed, `${address} to drop the stranger`, 12_000);
  return { strangerId: keyPair.publicKey.toString('hex'), remoteKey, closed, received, opened };
}

describe('end to end: three real nodes on loopback (A, B, C)', () => {
  const a = new AgoraHome('a');
  const b = new AgoraHome('b');
  const c3 = new AgoraHome('c');
  let code = '';

  beforeAll(async () => {
    await a.json('init', '--name', 'Alice');
    await b.json('init', '--name', 'Bob');
    await c3.json('init', '--name', 'Carol');
    await Promise.all([a.start(), b.start(), c3.start()]);
  });

  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose(), c3.dispose()]);
  });

  it('init is idempotent and keeps the key private', async () => {
    const first = await a.json<{ deviceId: string }>('init');
    const second = await a.json<{ deviceId: string; name: string }>('init');
    expect(second.deviceId).toBe(first.deviceId);
    expect(second.name).toBe('Alice');
    expect(statSync(join(a.home, 'identity.json')).mode & 0o777).toBe(0o600);
    expect(statSync(join(a.home, 'api-token')).mode & 0o777).toBe(0o600);
  });

  it('A creates "Acme" and invites; B joins; both list both members online within 5 s', async () => {
    const space = await a.json<{ spaceId: string; role: string }>('space', 'create', 'Acme');
    expect(space.role).toBe('admin');
    const invite = await a.json<{ code: string; link: string; role: string; expiresAt: string }>('invite', '--space', 'Acme', '--uses', '1');
    expect(invite.role).toBe('member');
    expect(invite.link).toContain(invite.code);
    expect(Date.parse(invite.expiresAt)).toBeGreaterThan(Date.now());
    code = invite.code;
    const joined = await b.json<{ spaceId: string; name: string; dir: string }>('join', code);
    expect(joined).toMatchObject({ spaceId: space.spaceId, name: 'Acme' });
    await waitFor(async () => (await everyoneOnline(a, 2)) && (await everyoneOnline(b, 2)), 'A and B both online', 5_000);
    const list = await b.json<{ spaceId: string; members: number; role: string }[]>('space', 'list');
    expect(list).toEqual([expect.objectContaining({ spaceId: space.spaceId, members: 2, role: 'member' })]);
    const peers = await a.json<{ name: string; connected: boolean; direct: boolean; transport: string }[]>('peers');
    expect(peers).toEqual([expect.objectContaining({ name: 'Bob', connected: true, direct: true, transport: 'tcp' })]);
  });

  // A still has an invite out (spent, but a stranger holding it must be told so), so its
  // firewall lets a stranger through to the invite protocol only; B has none and lets nobody in.
  for (const [label, target, invitesOut] of [
    ['A', a, true],
    ['B', b, false],
  ] as const) {
    it(`C, with no invite, gets no channel to ${label}: tested at the wire`, async () => {
      const status = await target.json<{ deviceId: string; listen: string[] }>('status');
      const r = await strangerDials(status.listen[0]!, code);
      // The dial reached the node itself: the Noise handshake completed with its key...
      expect(r.remoteKey).toBe(status.deviceId);
      // ...then it hung up, having opened no channel at all.
      expect(r.closed).toBe(true);
      expect(r.opened).toEqual([]);
      // Nothing but the transport's "admitted" message where invite handshakes are allowed; not a byte otherwise.
      expect(r.received.map((d) => d.toString())).toEqual(invitesOut ? ['agora-accept/1'] : []);
      const peers = await target.json<{ deviceId: string }[]>('peers');
      expect(peers.map((p) => p.deviceId)).not.toContain(r.strangerId);
    });
  }

  it('a running node writes no warnings to its stderr (node.err): no deprecated options', () => {
    for (const home of [a, b]) {
      const err = readFileSync(join(home.home, 'node.err'), 'utf8');
      expect(err, `${home.home}/node.err`).not.toMatch(/Warning|Deprecation|DEP\d/);
    }
  });

  it('a spent code fails for C with a clear message and changes nothing', async () => {
    const r = await c3.run('join', code);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/already been used/);
    expect(await c3.json('space', 'list')).toEqual([]);
    expect(await a.json<Member[]>('members', '--space', 'Acme')).toHaveLength(2);
  });

  it('an expired code fails for C with a clear message', async () => {
    const invite = await a.json<{ code: string; expiresAt: string }>('invite', '--space', 'Acme', '--expires', '1s');
    await waitFor(() => Date.now() > Date.parse(invite.expiresAt) + 50, 'the invite to expire', 3_000);
    const r = await c3.run('join', invite.code);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/expired/);
    expect(await c3.json('space', 'list')).toEqual([]);
  });

  it('a damaged code and bad usage get clear errors and the right exit codes', async () => {
    const damaged = await c3.run('join', code.slice(0, 40));
    expect(damaged.code).toBe(1);
    expect(damaged.stderr).toMatch(/damaged|copied the whole code/);
    const usage = await c3.run('invite');
    expect(usage.code).toBe(2);
    const notAdmin = await b.run('invite', '--space', 'Acme');
    expect(notAdmin.code).toBe(1);
    expect(notAdmin.stderr).toMatch(/Only admins/);
  });

  it('A and B restart and find each other again', async () => {
    await Promise.all([a.stop(), b.stop()]);
    await expect(a.run('status')).resolves.toMatchObject({ code: 1 });
    await b.start();
    await a.start();
    await waitFor(async () => (await everyoneOnline(a, 2)) && (await everyoneOnline(b, 2)), 'A and B online after restart', 10_000);
  });

  it('a stopped member is seen offline within seconds', async () => {
    await b.stop();
    await waitFor(async () => {
      const members = await a.json<Member[]>('members', '--space', 'Acme');
      return members.find((m) => m.name === 'Bob')?.online === false;
    }, 'A to see B offline', 5_000);
  });

  it('a crashed member (kill -9) is seen offline within a bounded time', async () => {
    await b.start();
    await waitFor(async () => everyoneOnline(a, 2), 'B back online', 10_000);
    const pid = Number(readFileSync(join(b.home, 'node.pid'), 'utf8'));
    process.kill(pid, 'SIGKILL');
    await waitFor(async () => {
      const members = await a.json<Member[]>('members', '--space', 'Acme');
      return members.find((m) => m.name === 'Bob')?.online === false;
    }, 'A to see the crashed B offline', 20_000);
    // A crashed node leaves its files behind; starting again must still work.
    await b.start();
    await waitFor(async () => everyoneOnline(a, 2), 'B online after the crash', 10_000);
  });

  it('the local API refuses requests without the token or from another Host', async () => {
    const status = await a.json<{ api: string }>('status');
    expect((await fetch(`${status.api}/api/v1/status`)).status).toBe(401);
    const token = readFileSync(join(a.home, 'api-token'), 'utf8').trim();
    const ok = await fetch(`${status.api}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    const evil = await fetch(`${status.api}/api/v1/status`, { headers: { authorization: `Bearer ${token}`, origin: 'http://evil.example' } });
    expect(evil.status).toBe(403);
    const openapi = await fetch(`${status.api}/api/v1/openapi.json`);
    expect(((await openapi.json()) as { openapi: string }).openapi).toMatch(/^3\./);
  });

  it('the local API refuses a request whose Host is not its own with 403, even with a valid token (DNS rebinding)', async () => {
    const status = await a.json<{ api: string }>('status');
    const api = new URL(status.api);
    const token = readFileSync(join(a.home, 'api-token'), 'utf8').trim();
    const auth = { authorization: `Bearer ${token}` };
    // The same raw request with the node's own Host names is answered: the refusals below are about the Host alone.
    for (const host of [api.host, `localhost:${api.port}`]) {
      expect((await rawRequest(api, '/api/v1/status', { ...auth, host })).status, host).toBe(200);
    }
    for (const host of ['evil.example', `evil.example:${api.port}`, `127.0.0.1:${Number(api.port) + 1}`, `127.0.0.1.evil.example:${api.port}`]) {
      const r = await rawRequest(api, '/api/v1/status', { ...auth, host });
      expect(r.status, host).toBe(403);
      expect(r.body, host).not.toContain('deviceId');
    }
    // A state-changing request and the event stream are refused the same way.
    const post = await rawRequest(api, '/api/v1/spaces', { ...auth, host: 'evil.example', 'content-type': 'application/json' }, 'POST', JSON.stringify({ name: 'Rebound' }));
    expect(post.status).toBe(403);
    expect((await a.json<{ name: string }[]>('space', 'list')).map((s) => s.name)).toEqual(['Acme']);
    const wsHeaders = { ...auth, connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': randomBytes(16).toString('base64') };
    expect((await rawRequest(api, '/api/v1/events', { ...wsHeaders, host: api.host })).status).toBe(101);
    expect((await rawRequest(api, '/api/v1/events', { ...wsHeaders, host: 'evil.example' })).status).toBe(403);
  });
});

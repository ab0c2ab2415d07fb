import NoiseSecretStream from '@hyperswarm/secret-stream';
import c from 'compact-encoding';
import { connect } from 'node:net';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Protomux from 'protomux';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto.js';
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

  it('C, with no invite, gets no channel to A: tested at the wire', async () => {
    const status = await a.json<{ listen: string[] }>('status');
    const [host, port] = status.listen[0]!.split(':');
    const socket = connect(Number(port), host!);
    const stream = new NoiseSecretStream(true, socket, { keyPair: generateKeyPair() });
    const mux = new Protomux(stream);
    const opened: string[] = [];
    for (const protocol of ['agora/control/1', 'agora/log/1', 'agora/invite/1']) {
      const ch = mux.createChannel({ protocol, id: protocol === 'agora/invite/1' ? Buffer.alloc(16) : null, onopen: () => void opened.push(protocol) });
      ch?.addMessage({ encoding: c.buffer });
      ch?.open();
    }
    let closed = false;
    stream.on('error', () => {});
    stream.on('close', () => (closed = true));
    await waitFor(() => closed, 'A to drop the stranger', 12_000);
    expect(opened).toEqual([]);
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
});

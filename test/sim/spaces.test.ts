import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;

describe('simulation: spaces, invites, presence over the memory network', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('an invited device joins, and both see each other online', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const space = a.createSpace('Acme');
    const invite = a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 });
    const joined = await b.join(invite.code);
    expect(joined).toMatchObject({ spaceId: space.spaceId, name: 'Acme', role: 'member', members: 2 });
    await sim.until(() => a.members('Acme').every((m) => m.online) && b.members('Acme').every((m) => m.online), 'both online');
    expect(a.members('Acme').map((m) => [m.name, m.role])).toEqual([['Alice', 'admin'], ['Bob', 'member']]);
    expect(b.members('Acme').find((m) => m.self)?.name).toBe('Bob');
  });

  it('a spent invite is refused with a clear message and changes nothing', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    const invite = a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 });
    await b.join(invite.code);
    await expect(c.join(invite.code)).rejects.toMatchObject({ code: 'INVITE_SPENT', message: expect.stringMatching(/already been used/) });
    expect(a.members('Acme')).toHaveLength(2);
    expect(c.listSpaces()).toEqual([]);
  });

  it('a spent invite lets strangers reach the invite protocol for a day after its last use, then the firewall refuses them', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    a.createSpace('Acme');
    const invite = a.invite('Acme', { role: 'member', expiresInMs: 30 * DAY, uses: 1 });
    expect(a.invites.acceptsStrangers()).toBe(true);
    await b.join(invite.code);
    // Spent: a latecomer with the code is still told so, for a day.
    expect(a.invites.acceptsStrangers()).toBe(true);
    sim.clock.advance(DAY - 60_000);
    expect(a.invites.acceptsStrangers()).toBe(true);
    sim.clock.advance(120_000);
    expect(a.invites.acceptsStrangers()).toBe(false);
    // A new invite opens the door again.
    a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 });
    expect(a.invites.acceptsStrangers()).toBe(true);
  });

  it('an expired invite is refused before any connection is made', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    const invite = a.invite('Acme', { role: 'member', expiresInMs: 60_000, uses: 1 });
    sim.clock.advance(61_000);
    await expect(c.join(invite.code)).rejects.toMatchObject({ code: 'INVITE_EXPIRED' });
  });

  it('a forged or damaged invite is refused', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    const { code } = a.invite('Acme', { role: 'admin', expiresInMs: DAY, uses: 1 });
    const body = Buffer.from(code.slice('agora1'.length), 'base64url');
    body[40] = body[40]! ^ 1; // flip a bit inside the signed offer
    await expect(c.join('agora1' + body.toString('base64url'))).rejects.toMatchObject({ code: 'INVITE_INVALID' });
    await expect(c.join('hello')).rejects.toMatchObject({ code: 'INVITE_INVALID' });
  });

  it('membership changes reach members that were not part of them', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    await c.join(a.invite('Acme', { role: 'guest', expiresInMs: DAY, uses: 1 }).code);
    // Names travel after the entries that commit to them: wait for both.
    await sim.until(() => b.members('Acme').some((m) => m.name === 'Carol'), 'B learns of C and its name through the log');
    expect(b.members('Acme').find((m) => m.name === 'Carol')?.role).toBe('guest');
    expect(b.spaces.heads(a.listSpaces()[0]!.spaceId)).toEqual(a.spaces.heads(a.listSpaces()[0]!.spaceId));
  });

  it('an inviter that cannot be reached: the join fails saying how each address failed, and nothing is joined', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    const code = a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code;
    sim.hub.partition([a.deviceId], [c.deviceId]);
    const err = await c.join(code).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PEER_UNREACHABLE', message: expect.stringMatching(/^Could not reach Alice's Agora \(mem:[0-9a-f]+: [^)]+\)\. Their node must be running/) });
    expect(c.listSpaces()).toEqual([]);
  });

  it('a device with no space in common gets no connection', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const c = await sim.node('Carol');
    a.createSpace('Acme');
    await expect(c.peers['deps'].network.dial(a.deviceId, [`mem:${a.deviceId}`])).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
  });
});

describe('simulation: concurrent admissions during a partition', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('two admins admit members on both sides of a partition; after healing every node holds the same log', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const c = await sim.node('Carol');
    const d = await sim.node('Dan');
    const { spaceId } = a.createSpace('Acme');
    await b.join(a.invite('Acme', { role: 'admin', expiresInMs: DAY, uses: 1 }).code);
    await sim.until(() => b.members('Acme').every((m) => m.online), 'A and B connected');

    sim.hub.partition([a.deviceId, c.deviceId], [b.deviceId, d.deviceId]);
    await c.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    await d.join(b.invite('Acme', { role: 'guest', expiresInMs: DAY, uses: 1 }).code);
    expect(a.members('Acme')).toHaveLength(3);
    expect(b.members('Acme')).toHaveLength(3);

    sim.hub.heal();
    const all = [a, b, c, d];
    await sim.until(
      () => all.every((n) => n.members('Acme').length === 4 && n.spaces.heads(spaceId).join() === a.spaces.heads(spaceId).join()),
      'all four converge',
      20_000,
    );
    const view = (n: typeof a) => n.members('Acme').map((m) => `${m.memberId}:${m.role}`).sort();
    for (const n of all) expect(view(n)).toEqual(view(a));
    await sim.until(() => all.every((n) => n.members('Acme').every((m) => m.online)), 'everyone online with everyone', 20_000);
  });
});

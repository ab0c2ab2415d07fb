import { afterEach, describe, expect, it } from 'vitest';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;

/**
 * A guest's node holds only its part of the space log (see src/core/spaces/guest-view.ts):
 * entries about other guests and other folders reach it as stubs, over the join and over the
 * log channel, and it asks for what is behind them again when a grant lets it see more.
 */
describe('simulation: a guest holds only its part of the space log', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('joins with stubs for the rest, learns a folder\'s history when granted it, and gets the whole log when made a member', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    let g = await sim.node('Gina');
    const h = await sim.node('Hector');
    const { spaceId } = a.createSpace('Acme');
    const orders = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Orders', 'Orders');
    const internal = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Internal', 'Internal');
    sim.disk(a).userWrite(internal.path, 'memo.txt', 'internal memo');
    await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    await h.join(a.invites.create(spaceId, { role: 'guest', expiresInMs: DAY, uses: 1, grants: [] }).code);
    await g.join(a.invites.create(spaceId, { role: 'guest', expiresInMs: DAY, uses: 1, grants: [{ folderId: orders.folderId, access: 'write' }] }).code);
    // Hector renames himself after Gina joined: that entry reaches her over the log channel.
    h.spaces.append(spaceId, { type: 'member.rename', name: h.spaces.commitName(spaceId, 'Hector 2') });
    const sameHeads = () => [b, g, h].every((n) => n.spaces.heads(spaceId).sort().join() === a.spaces.heads(spaceId).sort().join());
    await sim.until(sameHeads, 'one log everywhere (Gina\'s partly stubs)');

    const text = () => sim.storeOf(g).log.list(spaceId).map((e) => e.bytes.toString('utf8')).join('\n');
    expect(text()).not.toContain(h.deviceId);
    expect(text()).not.toContain(internal.folderId);
    expect(text()).toContain(orders.folderId);
    expect(sim.storeOf(g).log.stubs(spaceId).length).toBeGreaterThanOrEqual(3);
    expect([...g.spaces.state(spaceId).folders.keys()]).toEqual([orders.folderId]);
    expect([...g.spaces.state(spaceId).members.keys()].sort()).toEqual([a.deviceId, b.deviceId, g.deviceId].sort());
    // What it holds replays to the same decisions as the firm's whole log.
    expect(g.spaces.state(spaceId).accessOf(orders.folderId, g.deviceId)).toBe('write');
    expect(g.spaces.state(spaceId).roleOf(b.deviceId)).toBe('member');

    // After a restart the node replays its part with the stubs from its store, to the same state.
    const stateBefore = JSON.stringify([g.spaces.heads(spaceId).sort(), [...g.spaces.state(spaceId).members.keys()].sort(), [...g.spaces.state(spaceId).folders.keys()]]);
    g = await sim.restart(g);
    expect(JSON.stringify([g.spaces.heads(spaceId).sort(), [...g.spaces.state(spaceId).members.keys()].sort(), [...g.spaces.state(spaceId).folders.keys()]])).toBe(stateBefore);
    expect(g.spaces.stubIds(spaceId).length).toBe(sim.storeOf(g).log.stubs(spaceId).length);

    // A grant to Internal: Gina asks again behind her stubs and gets the folder's entries.
    a.grant(internal.folderId, g.deviceId, 'read', spaceId);
    await sim.until(() => g.spaces.state(spaceId).folders.has(internal.folderId) && sameHeads(), 'Gina learns Internal');
    expect(g.spaces.state(spaceId).accessOf(internal.folderId, g.deviceId)).toBe('read');
    await sim.until(() => g.sync.list().some((f) => f.folderId === internal.folderId && f.name === 'Internal'), 'Gina syncs Internal by its name');
    expect(text()).not.toContain(h.deviceId);

    // Made a member, Gina holds the whole log: no stub is left.
    a.setRole(spaceId, g.deviceId, 'member');
    await sim.until(() => sim.storeOf(g).log.stubs(spaceId).length === 0 && sameHeads(), 'Gina gets the whole log');
    expect(text()).toContain(h.deviceId);
    expect(g.spaces.state(spaceId).roleOf(h.deviceId)).toBe('guest');
  });

  it('a member never takes stubs: it holds the whole log', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const { spaceId } = a.createSpace('Acme');
    await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    const { added } = b.spaces.ingest(spaceId, [], [{ id: 'ee'.repeat(32), parents: b.spaces.heads(spaceId) }]);
    expect(added).toBe(0);
    expect(b.spaces.knows(spaceId, 'ee'.repeat(32))).toBe(false);
    expect(sim.storeOf(b).log.stubs(spaceId)).toEqual([]);
  });
});

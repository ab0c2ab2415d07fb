import { afterEach, describe, expect, it } from 'vitest';
import { decodeInviteCode } from '../../src/protocol/index.js';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;
const offer = { dht: ['203.0.113.10:49737'], tcp: ['203.0.113.10:7000'], relay: 'ab'.repeat(32) };

describe('simulation: keepers', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a keeper joins with a keeper invite, says where it is, and every member (and later invite) knows it', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const k = await sim.node('Keeper', { keeperOffer: offer });
    a.createSpace('Acme');
    await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    const joined = await k.join(a.invite('Acme', { role: 'keeper', expiresInMs: DAY, uses: 1 }).code);
    expect(joined.role).toBe('keeper');
    const expected = [{ deviceId: k.deviceId, dht: offer.dht, relay: offer.relay }];
    await sim.until(
      () => [a, b].every((n) => JSON.stringify(sim.networkOf(n).keepers) === JSON.stringify(expected)),
      'members hand the keeper to their network',
    );
    // Its TCP address, signed by itself in the log, is where members dial it.
    expect(sim.storeOf(b).peers.get(k.deviceId)?.addresses).toContain('203.0.113.10:7000');
    // A keeper reads no folder and no chat, and says so only once however often the log changes.
    a.createSpace('Other');
    const endpoints = () => a.audit('Acme').filter((e) => e.type === 'keeper.endpoint');
    await sim.until(() => endpoints().length === 1, 'one endpoint entry');
    expect(endpoints()[0]).toMatchObject({ author: k.deviceId, applied: true, addresses: [...offer.tcp, ...offer.dht] });
    // A new invite carries the keeper, so a joiner behind a router can use it before it has the log.
    const code = a.invite('Acme', { role: 'guest', expiresInMs: DAY, uses: 1 }).code;
    expect(decodeInviteCode(code).offer.keepers).toEqual([{ id: k.deviceId, ...offer }]);
  });

  it('a keeper invite cannot carry folder grants', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    a.createSpace('Acme');
    const folder = await a.addFolder('Acme', '/sim/Alice/Acme/Docs');
    expect(() => a.invite('Acme', { role: 'keeper', expiresInMs: DAY, uses: 1, grants: [{ folder: folder.folderId, access: 'read' }] })).toThrow(/keeper gets no folder grants/);
  });
});

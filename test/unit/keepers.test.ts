import c from 'compact-encoding';
import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto.js';
import { issueInvite, readInvite } from '../../src/core/invites/invite-codes.js';
import { createEntry } from '../../src/core/spaces/entries.js';
import { replay } from '../../src/core/spaces/replay.js';
import { doctorReport } from '../../src/node/doctor.js';
import { commitName, decodeEntry, type DecodedEntry, type LogBody } from '../../src/protocol/index.js';
import type { KeyPair, NetworkDiagnosis } from '../../src/ports/network.js';

const keys = { admin: generateKeyPair(), keeper: generateKeyPair(), member: generateKeyPair() };
const idOf = (k: KeyPair) => k.publicKey.toString('hex');
const relay = 'ab'.repeat(32);
const endpoint = (dht = ['203.0.113.10:49737']): LogBody => ({ type: 'keeper.endpoint', dht, tcp: ['203.0.113.10:7000'], relay });

function space() {
  const g = createEntry(keys.admin, { space: null, parents: [], body: { type: 'space.create', name: 'Acme', creatorName: commitName('Alice').ref }, time: 1 });
  let last = g;
  const then = (author: KeyPair, body: LogBody): DecodedEntry => {
    last = createEntry(author, { space: g.id, parents: [last.id], body, time: 2 });
    return last;
  };
  const add = (who: KeyPair, role: 'member' | 'keeper') =>
    then(keys.admin, { type: 'member.add', member: idOf(who), name: commitName(`n-${role}`).ref, role, invite: null });
  return { g, then, add };
}

describe('keeper.endpoint in the space log', () => {
  it('a keeper says where it is; the latest one counts', () => {
    const s = space();
    const entries = [s.g, s.add(keys.keeper, 'keeper'), s.then(keys.keeper, endpoint(['198.51.100.1:1'])), s.then(keys.keeper, endpoint())];
    const { state } = replay(s.g.id, entries);
    expect(state.keepers()).toEqual([{ keeperId: idOf(keys.keeper), dht: ['203.0.113.10:49737'], tcp: ['203.0.113.10:7000'], relay }]);
  });

  it('members and admins cannot announce a keeper endpoint, and a removed keeper is no longer used', () => {
    const s = space();
    const addM = s.add(keys.member, 'member');
    const byMember = s.then(keys.member, endpoint());
    const byAdmin = s.then(keys.admin, endpoint());
    const addK = s.add(keys.keeper, 'keeper');
    const ok = s.then(keys.keeper, endpoint());
    const result = replay(s.g.id, [s.g, addM, byMember, byAdmin, addK, ok]);
    expect(result.rejected.get(byMember.id)).toMatch(/only a keeper/);
    expect(result.rejected.get(byAdmin.id)).toMatch(/only a keeper/);
    expect(result.state.keepers().map((k) => k.keeperId)).toEqual([idOf(keys.keeper)]);
    const removed = replay(s.g.id, [s.g, addM, addK, ok, s.then(keys.admin, { type: 'member.remove', member: idOf(keys.keeper) })]);
    expect(removed.state.keepers()).toEqual([]);
  });

  it('refuses malformed endpoints', () => {
    const s = space();
    for (const bad of [
      { type: 'keeper.endpoint', dht: ['no-port'], tcp: [], relay },
      { type: 'keeper.endpoint', dht: ['h:70000'], tcp: [], relay },
      { type: 'keeper.endpoint', dht: [], tcp: [], relay: 'xyz' },
      { type: 'keeper.endpoint', dht: Array(9).fill('h:1'), tcp: [], relay },
    ]) {
      const entry = createEntry(keys.keeper, { space: s.g.id, parents: [s.g.id], body: endpoint(), time: 2 });
      const content = JSON.parse(entry.bytes.toString('utf8')) as Record<string, unknown>;
      content.body = bad;
      expect(() => decodeEntry({ bytes: Buffer.from(JSON.stringify(content)), sig: entry.sig })).toThrow(/malformed/);
    }
  });
});

describe('invites carry keepers', () => {
  const offer = {
    spaceId: 'cd'.repeat(32),
    spaceName: 'Acme',
    inviteId: 'ef'.repeat(16),
    inviter: idOf(keys.admin),
    inviterName: 'Alice',
    role: 'member' as const,
    expiresAt: Date.now() + 60_000,
    maxUses: 1,
    addresses: ['10.1.0.2:7000'],
  };

  it('round-trips the keepers of the space', () => {
    const keepers = [{ id: idOf(keys.keeper), dht: ['203.0.113.10:49737'], tcp: ['203.0.113.10:7000'], relay }];
    const { code } = issueInvite(keys.admin, { ...offer, keepers });
    expect(readInvite(code, Date.now()).offer.keepers).toEqual(keepers);
  });

  it('still reads a version-1 invite (no keepers), and refuses a newer version clearly', () => {
    const { invite } = issueInvite(keys.admin, { ...offer, keepers: [] });
    // A version-1 offer is the version-2 one without its trailing keeper list, with 1 in front.
    const v2 = invite.offerBytes;
    expect(v2[0]).toBe(2);
    const v1 = Buffer.concat([Buffer.from([1]), v2.subarray(1, v2.length - 1)]);
    const v3 = Buffer.concat([Buffer.from([3]), v2.subarray(1)]);
    const code = (bytes: Buffer) => {
      const sig = Buffer.from(generateKeyPair().secretKey.subarray(0, 64));
      const state = c.state();
      c.buffer.preencode(state, bytes);
      state.end += 64 + 32;
      state.buffer = Buffer.alloc(state.end);
      c.buffer.encode(state, bytes);
      Buffer.from(sig).copy(state.buffer, state.start);
      return 'agora1' + Buffer.from(state.buffer).toString('base64url');
    };
    // The signature is not the inviter's, so reading stops there: but only after the offer decoded.
    expect(() => readInvite(code(v1), Date.now())).toThrow(/not genuine/);
    expect(() => readInvite(code(v3), Date.now())).toThrow(/version 3 is not supported/);
  });
});

describe('agora doctor advice', () => {
  const base: NetworkDiagnosis = { dht: 'online', dhtNodes: 12, nat: 'cone', publicAddress: '198.51.100.7:40000', keepers: [], mdns: true, relayServing: false };
  const report = (d: Partial<NetworkDiagnosis>, peers: { deviceId: string; connected: boolean; direct: boolean }[] = []) =>
    doctorReport({
      deviceId: 'ff'.repeat(32),
      listen: ['0.0.0.0:7000'],
      diagnosis: { ...base, ...d },
      keeperOffer: null,
      peers: peers.map((p) => ({ ...p, name: 'x', transport: p.direct ? 'udx' : 'relay', address: null, rttMs: 5 })),
      keeperName: () => 'Keeper',
    });

  it('says nothing is wrong when the DHT answers and the NAT punches', () => {
    expect(report({}).advice.at(-1)).toMatch(/Nothing to fix/);
  });

  it('asks for a keeper behind a symmetric NAT with none, and explains the relay when there is one', () => {
    expect(report({ nat: 'symmetric' }).advice.join(' ')).toMatch(/Add a keeper/);
    const withKeeper = report({ nat: 'symmetric', keepers: [{ deviceId: idOf(keys.keeper), address: '203.0.113.10:49737', reachable: true, rttMs: 3 }] });
    expect(withKeeper.keeperReachable).toBe(true);
    expect(withKeeper.advice.join(' ')).toMatch(/through the keeper's relay/);
  });

  it('names an unreachable keeper and its UDP port, and explains an offline DHT', () => {
    const r = report({ dht: 'offline', dhtNodes: 0, keepers: [{ deviceId: idOf(keys.keeper), address: '203.0.113.10:49737', reachable: false, rttMs: null }] });
    expect(r.keeperReachable).toBe(false);
    expect(r.advice.join(' ')).toMatch(/Keeper does not answer at 203\.0\.113\.10:49737.*UDP port 49737/);
    expect(r.advice.join(' ')).toMatch(/not even the keepers/);
  });

  it('counts relayed peers', () => {
    const r = report({}, [{ deviceId: 'a', connected: true, direct: false }, { deviceId: 'b', connected: true, direct: true }]);
    expect(r.peers).toEqual({ connected: 2, direct: 1, relayed: 1 });
    expect(r.advice.join(' ')).toMatch(/1 peer\(s\) are connected through a relay/);
  });
});

/** Store port suite, part: what each repository method stores and returns. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { awkwardBuffers, entry, invite, peer, space } from './store-suite-fixtures.js';

export function registerSpaceTests(get: () => Store): void {
  describe('spaces', () => {
    it('put then get returns the same record; a missing id gives undefined', () => {
      get().spaces.put(space(1));
      expect(get().spaces.get('space-1')).toEqual(space(1));
      expect(get().spaces.get('space-9')).toBeUndefined();
    });

    it('put of an existing id replaces it', () => {
      get().spaces.put(space(1));
      get().spaces.put(space(1, { name: 'Renamed', dir: '/elsewhere', secret: Buffer.alloc(32, 9) }));
      expect(get().spaces.get('space-1')).toEqual(space(1, { name: 'Renamed', dir: '/elsewhere', secret: Buffer.alloc(32, 9) }));
      expect(get().spaces.list()).toHaveLength(1);
    });

    it('list is ordered by joinedAt, then id', () => {
      get().spaces.put(space(3, { joinedAt: 10 }));
      get().spaces.put(space(2, { joinedAt: 20 }));
      get().spaces.put(space(1, { joinedAt: 20 }));
      expect(get().spaces.list().map((s) => s.spaceId)).toEqual(['space-3', 'space-1', 'space-2']);
    });

    it('delete removes the space with its log and invites, and nothing of other spaces', () => {
      const s = get();
      s.spaces.put(space(1));
      s.spaces.put(space(2));
      s.log.append(entry(1));
      s.log.append(entry(2, { spaceId: 'space-2' }));
      s.invites.put(invite(1));
      s.invites.put(invite(2, { spaceId: 'space-2' }));
      s.spaces.delete('space-1');
      s.spaces.delete('space-9');
      expect(s.spaces.list().map((x) => x.spaceId)).toEqual(['space-2']);
      expect(s.log.count('space-1')).toBe(0);
      expect(s.log.has(entry(1).id)).toBe(false);
      expect(s.invites.list('space-1')).toEqual([]);
      expect(s.log.list('space-2')).toEqual([entry(2, { spaceId: 'space-2' })]);
      expect(s.invites.list('space-2')).toEqual([invite(2, { spaceId: 'space-2' })]);
    });
  });
}

export function registerLogTests(get: () => Store): void {
  describe('log', () => {
    it('append stores an entry once; a second append of the id is a no-op returning false', () => {
      const s = get();
      expect(s.log.append(entry(1))).toBe(true);
      expect(s.log.append(entry(1, { bytes: Buffer.from('other'), receivedAt: 5 }))).toBe(false);
      expect(s.log.get(entry(1).id)).toEqual(entry(1));
      expect(s.log.count('space-1')).toBe(1);
    });

    it('has and get answer by id across spaces', () => {
      const s = get();
      s.log.append(entry(1, { spaceId: 'space-2' }));
      expect(s.log.has(entry(1).id)).toBe(true);
      expect(s.log.has(entry(2).id)).toBe(false);
      expect(s.log.get(entry(1).id)).toEqual(entry(1, { spaceId: 'space-2' }));
      expect(s.log.get(entry(2).id)).toBeUndefined();
    });

    it('list returns a space\'s entries in arrival order, whatever their ids and receivedAt', () => {
      const s = get();
      const arrivals = [7, 3, 9, 1, 4];
      arrivals.forEach((n, i) => s.log.append(entry(n, { receivedAt: 100 - i })));
      s.log.append(entry(5, { spaceId: 'space-2' }));
      s.log.append(entry(3)); // duplicate: must not move
      expect(s.log.list('space-1').map((e) => e.id)).toEqual(arrivals.map((n) => entry(n).id));
      expect(s.log.list('space-2').map((e) => e.id)).toEqual([entry(5).id]);
      expect(s.log.list('space-9')).toEqual([]);
    });

    it('count counts a space\'s entries only', () => {
      const s = get();
      [1, 2, 3].forEach((n) => s.log.append(entry(n)));
      s.log.append(entry(4, { spaceId: 'space-2' }));
      expect([s.log.count('space-1'), s.log.count('space-2'), s.log.count('space-9')]).toEqual([3, 1, 0]);
    });

    it('stubs: kept per space in arrival order, never listed, counted or got as entries', () => {
      const s = get();
      const stub = (n: number, parents: string[] = []) => ({ id: entry(n).id, parents });
      s.log.append(entry(1));
      s.log.putStub('space-1', stub(3, [entry(1).id]));
      s.log.putStub('space-1', stub(2, [entry(3).id, entry(1).id]));
      s.log.putStub('space-1', stub(3, ['ff'.repeat(32)])); // already there: no-op
      s.log.putStub('space-1', stub(1)); // a stored entry: no-op
      s.log.putStub('space-2', stub(4));
      expect(s.log.stubs('space-1')).toEqual([stub(3, [entry(1).id]), stub(2, [entry(3).id, entry(1).id])]);
      expect(s.log.stubs('space-2')).toEqual([stub(4)]);
      expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(1).id]);
      expect([s.log.count('space-1'), s.log.has(entry(3).id), s.log.get(entry(3).id)]).toEqual([1, false, undefined]);
    });

    it('an entry takes the place of its stub; a stub of another space does not give way', () => {
      const s = get();
      s.log.putStub('space-1', { id: entry(2).id, parents: [] });
      s.log.putStub('space-2', { id: entry(3).id, parents: [] });
      expect(s.log.append(entry(2))).toBe(true);
      expect(s.log.append(entry(3))).toBe(false);
      expect(s.log.stubs('space-1')).toEqual([]);
      expect(s.log.get(entry(2).id)?.bytes.equals(entry(2).bytes)).toBe(true);
      expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(2).id]);
      expect(s.log.stubs('space-2').map((x) => x.id)).toEqual([entry(3).id]);
    });

    it('a stub goes with its space', () => {
      const s = get();
      s.spaces.put(space(1));
      s.log.putStub(space(1).spaceId, { id: entry(5).id, parents: [] });
      s.spaces.delete(space(1).spaceId);
      expect(s.log.stubs(space(1).spaceId)).toEqual([]);
    });

    it.each([
      ['no parents', [] as string[]],
      ['one parent', ['ab'.repeat(32)]],
      ['merge of three', ['01'.repeat(32), '02'.repeat(32), '03'.repeat(32)]],
    ])('parents round-trip: %s', (_label, parents) => {
      get().log.append(entry(1, { parents }));
      expect(get().log.get(entry(1).id)?.parents).toEqual(parents);
    });

    it.each(awkwardBuffers)('bytes and sig round-trip byte-exactly: %s', (_label, buf) => {
      get().log.append(entry(1, { bytes: buf, sig: buf }));
      const got = get().log.get(entry(1).id);
      expect(Buffer.isBuffer(got?.bytes)).toBe(true);
      expect(got?.bytes.equals(buf)).toBe(true);
      expect(got?.sig.equals(buf)).toBe(true);
    });

    it('names: putName keeps one name per commitment and space; names lists a space\'s only; delete takes them', () => {
      const s = get();
      const n1 = { h: 'a1'.repeat(32), salt: '5a'.repeat(16), name: 'Orders – ACME' };
      const n2 = { h: 'b2'.repeat(32), salt: '6b'.repeat(16), name: 'Bob' };
      s.spaces.put(space(1));
      s.log.putName('space-1', n1);
      s.log.putName('space-1', { ...n1, name: 'other' }); // the first one stays
      s.log.putName('space-1', n2);
      s.log.putName('space-2', n2);
      const sorted = (list: { h: string }[]) => [...list].sort((x, y) => (x.h < y.h ? -1 : 1));
      expect(sorted(s.log.names('space-1'))).toEqual([n1, n2]);
      expect(s.log.names('space-2')).toEqual([n2]);
      expect(s.log.names('space-9')).toEqual([]);
      s.spaces.delete('space-1');
      expect(s.log.names('space-1')).toEqual([]);
      expect(s.log.names('space-2')).toEqual([n2]);
    });
  });
}

export function registerRecordTests(get: () => Store): void {
  describe('invites', () => {
    it.each([
      ['member, live', invite(1)],
      ['admin, revoked', invite(1, { role: 'admin', revoked: true })],
      ['guest, many uses', invite(1, { role: 'guest', maxUses: 50 })],
      ['keeper', invite(1, { role: 'keeper' })],
      ['guest with folder grants', invite(1, { role: 'guest', grants: [{ folderId: 'f'.repeat(64), access: 'read' }, { folderId: 'e'.repeat(64), access: 'write' }] })],
    ])('put then get round-trips: %s', (_label, inv) => {
      get().invites.put(inv);
      expect(get().invites.get(inv.inviteId)).toEqual(inv);
      expect(get().invites.get('invite-9')).toBeUndefined();
    });

    it('put of an existing id replaces it (how an invite gets revoked)', () => {
      get().invites.put(invite(1));
      get().invites.put(invite(1, { revoked: true }));
      expect(get().invites.get('invite-1')?.revoked).toBe(true);
      expect(get().invites.list('space-1')).toHaveLength(1);
    });

    it('list returns a space\'s invites ordered by createdAt, then id', () => {
      const s = get();
      s.invites.put(invite(1, { createdAt: 30 }));
      s.invites.put(invite(3, { createdAt: 10 }));
      s.invites.put(invite(2, { createdAt: 30 }));
      s.invites.put(invite(4, { spaceId: 'space-2' }));
      expect(s.invites.list('space-1').map((i) => i.inviteId)).toEqual(['invite-3', 'invite-1', 'invite-2']);
      expect(s.invites.list('space-9')).toEqual([]);
    });
  });

  describe('peers', () => {
    it('upsert then get round-trips; a missing id gives undefined', () => {
      get().peers.upsert(peer(1));
      expect(get().peers.get('device-1')).toEqual(peer(1));
      expect(get().peers.get('device-9')).toBeUndefined();
    });

    it('upsert overwrites every field, keeping the order of addresses', () => {
      get().peers.upsert(peer(1));
      const updated = peer(1, { name: 'Laptop', addresses: ['10.0.0.2:1', '[::1]:2', 'host.lan:3'], lastSeen: 99 });
      get().peers.upsert(updated);
      expect(get().peers.get('device-1')).toEqual(updated);
      get().peers.upsert(peer(1, { addresses: [] }));
      expect(get().peers.get('device-1')?.addresses).toEqual([]);
      expect(get().peers.list()).toHaveLength(1);
    });

    it('list is ordered by lastSeen, most recent first, then id', () => {
      const s = get();
      s.peers.upsert(peer(1, { lastSeen: 10 }));
      s.peers.upsert(peer(3, { lastSeen: 30 }));
      s.peers.upsert(peer(2, { lastSeen: 30 }));
      expect(s.peers.list().map((p) => p.deviceId)).toEqual(['device-2', 'device-3', 'device-1']);
    });
  });

  describe('settings', () => {
    it.each<[string, unknown]>([
      ['a string', 'hello'],
      ['an empty string', ''],
      ['unicode', 'Ünïcødé ✓ 文件 🚀'],
      ['zero', 0],
      ['a negative float', -12.5],
      ['a large integer', Number.MAX_SAFE_INTEGER],
      ['true', true],
      ['false', false],
      ['null', null],
      ['an array', [1, 'two', null, [3]]],
      ['a nested object', { a: { b: [1, { c: 'd' }] }, e: null }],
    ])('set then get round-trips %s', (_label, value) => {
      get().settings.set('k', value);
      expect(get().settings.get('k')).toEqual(value);
    });

    it('goes through JSON: what JSON cannot hold does not come back', () => {
      get().settings.set('k', { when: new Date(0), skip: undefined });
      expect(get().settings.get('k')).toEqual({ when: '1970-01-01T00:00:00.000Z' });
    });

    it('a missing key gives undefined; set overwrites; set undefined removes', () => {
      const s = get();
      expect(s.settings.get('k')).toBeUndefined();
      s.settings.set('k', 1);
      s.settings.set('k', { v: 2 });
      expect(s.settings.get('k')).toEqual({ v: 2 });
      s.settings.set('k', undefined);
      expect(s.settings.get('k')).toBeUndefined();
    });
  });

  describe('records are values', () => {
    it.each(awkwardBuffers)('space secret round-trips byte-exactly: %s', (_label, buf) => {
      get().spaces.put(space(1, { secret: buf }));
      const got = get().spaces.get('space-1')?.secret;
      expect(Buffer.isBuffer(got)).toBe(true);
      expect(got?.equals(buf)).toBe(true);
    });

    it('changing a record after put, or one that get returned, does not change what is stored', () => {
      const s = get();
      const sp = space(1);
      const e = entry(1);
      const p = peer(1);
      s.spaces.put(sp);
      s.log.append(e);
      s.peers.upsert(p);
      sp.secret.fill(0);
      sp.name = 'changed';
      e.bytes.fill(0);
      e.parents.push('x');
      p.addresses.push('x');
      const got = s.log.get(entry(1).id);
      got?.sig.fill(0);
      got?.parents.pop();
      s.spaces.get('space-1')?.secret.fill(0);
      expect(s.spaces.get('space-1')).toEqual(space(1));
      expect(s.log.get(entry(1).id)).toEqual(entry(1));
      expect(s.peers.get('device-1')).toEqual(peer(1));
    });
  });
}

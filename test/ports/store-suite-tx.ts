/** Store port suite, part: transaction() is atomic, nests like savepoints, and rolls back on throw. */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { entry, invite, peer, space } from './store-suite-fixtures.js';

export function registerTransactionTests(get: () => Store): void {
  describe('transaction', () => {
    it('commits the writes and returns what fn returns', () => {
      const s = get();
      const result = s.transaction(() => {
        s.spaces.put(space(1));
        s.log.append(entry(1));
        return 42;
      });
      expect(result).toBe(42);
      expect(s.spaces.get('space-1')).toEqual(space(1));
      expect(s.log.count('space-1')).toBe(1);
    });

    // Each case writes inside a transaction that throws; afterwards `check` must see the state before.
    const cases: [string, (s: Store) => void, (s: Store) => void, (s: Store) => void][] = [
      ['spaces.put (new)', () => {}, (s) => s.spaces.put(space(1)), (s) => expect(s.spaces.list()).toEqual([])],
      [
        'spaces.put (replace)',
        (s) => s.spaces.put(space(1)),
        (s) => s.spaces.put(space(1, { name: 'x' })),
        (s) => expect(s.spaces.get('space-1')).toEqual(space(1)),
      ],
      [
        'spaces.delete with cascade',
        (s) => {
          s.spaces.put(space(1));
          s.log.append(entry(1));
          s.log.append(entry(2));
          s.invites.put(invite(1));
        },
        (s) => s.spaces.delete('space-1'),
        (s) => {
          expect(s.spaces.get('space-1')).toEqual(space(1));
          expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(1).id, entry(2).id]);
          expect(s.invites.list('space-1')).toEqual([invite(1)]);
        },
      ],
      [
        'log.append',
        (s) => s.log.append(entry(1)),
        (s) => {
          s.log.append(entry(2));
          s.log.append(entry(3, { spaceId: 'space-2' }));
        },
        (s) => {
          expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(1).id]);
          expect([s.log.has(entry(2).id), s.log.count('space-2')]).toEqual([false, 0]);
          expect(s.log.append(entry(2))).toBe(true);
          expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(1).id, entry(2).id]);
        },
      ],
      [
        'invites.put',
        (s) => s.invites.put(invite(1)),
        (s) => {
          s.invites.put(invite(1, { revoked: true }));
          s.invites.put(invite(2));
        },
        (s) => expect(s.invites.list('space-1')).toEqual([invite(1)]),
      ],
      [
        'peers.upsert',
        (s) => s.peers.upsert(peer(1)),
        (s) => {
          s.peers.upsert(peer(1, { name: 'x' }));
          s.peers.upsert(peer(2));
        },
        (s) => expect(s.peers.list()).toEqual([peer(1)]),
      ],
      [
        'settings.set',
        (s) => s.settings.set('a', 1),
        (s) => {
          s.settings.set('a', 2);
          s.settings.set('b', 3);
          s.settings.set('a', undefined);
        },
        (s) => expect([s.settings.get('a'), s.settings.get('b')]).toEqual([1, undefined]),
      ],
    ];

    it.each(cases)('rolls back on throw: %s', (_label, before, write, check) => {
      const s = get();
      before(s);
      const boom = new Error('boom');
      let thrown: unknown;
      try {
        s.transaction(() => {
          write(s);
          throw boom;
        });
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBe(boom);
      check(s);
    });

    it('sees its own writes before committing', () => {
      const s = get();
      s.transaction(() => {
        s.log.append(entry(1));
        expect(s.log.has(entry(1).id)).toBe(true);
        expect(s.log.append(entry(1))).toBe(false);
      });
    });

    it('nests: an inner failure that is caught undoes only the inner writes', () => {
      const s = get();
      s.transaction(() => {
        s.spaces.put(space(1));
        expect(() =>
          s.transaction(() => {
            s.spaces.put(space(2));
            s.log.append(entry(1));
            throw new Error('inner');
          }),
        ).toThrow('inner');
        s.peers.upsert(peer(1));
      });
      expect(s.spaces.list().map((x) => x.spaceId)).toEqual(['space-1']);
      expect(s.log.count('space-1')).toBe(0);
      expect(s.peers.get('device-1')).toEqual(peer(1));
    });

    it('nests: an outer failure undoes the committed inner writes too', () => {
      const s = get();
      expect(() =>
        s.transaction(() => {
          s.transaction(() => s.spaces.put(space(2)));
          throw new Error('outer');
        }),
      ).toThrow('outer');
      expect(s.spaces.list()).toEqual([]);
    });

    it('refuses an async fn and keeps none of its synchronous writes', () => {
      const s = get();
      expect(() =>
        s.transaction(async () => {
          s.spaces.put(space(1));
        }),
      ).toThrow(TypeError);
      expect(s.spaces.list()).toEqual([]);
    });

    it('leaves the store usable after a rollback', () => {
      const s = get();
      expect(() =>
        s.transaction(() => {
          s.spaces.put(space(1));
          throw new Error('boom');
        }),
      ).toThrow('boom');
      s.transaction(() => s.spaces.put(space(2)));
      expect(s.spaces.list().map((x) => x.spaceId)).toEqual(['space-2']);
    });
  });
}

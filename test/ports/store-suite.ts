/**
 * The contract every Store adapter passes. Adapters differ in how they keep data, never in what
 * callers observe: same values back, same orders, same rollback, same errors.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/ports/store.js';
import { message, registerChatTests } from './store-suite-chat.js';
import { awkwardBuffers, entry, expectStoreError, invite, peer, space, type StoreFixture } from './store-suite-fixtures.js';
import { change, registerHistoryTests } from './store-suite-history.js';
import { registerLogTests, registerRecordTests, registerSpaceTests } from './store-suite-repos.js';
import { registerBlockTests, registerIndexValueTests, snapshot } from './store-suite-sync-blocks.js';
import { block, file, folder, own, registerFolderTests, registerIndexTests, self } from './store-suite-sync.js';
import { registerTransactionTests } from './store-suite-tx.js';

export type { StoreFixture } from './store-suite-fixtures.js';

export function describeStorePort(name: string, factory: () => StoreFixture): void {
  describe(`Store port: ${name}`, () => {
    let fx: StoreFixture;
    let store: Store;
    beforeEach(() => {
      fx = factory();
      store = fx.store;
    });
    afterEach(() => fx.cleanup());

    registerSpaceTests(() => store);
    registerLogTests(() => store);
    registerRecordTests(() => store);
    registerTransactionTests(() => store);
    registerFolderTests(() => store);
    registerIndexTests(() => store);
    registerBlockTests(() => store);
    registerIndexValueTests(() => store);
    registerChatTests(() => fx);
    registerHistoryTests(() => fx);

    it('refuses every operation once closed', () => {
      store.close();
      const ops: [string, () => unknown][] = [
        ['spaces.get', () => store.spaces.get('space-1')],
        ['spaces.put', () => store.spaces.put(space(1))],
        ['log.append', () => store.log.append(entry(0))],
        ['log.list', () => store.log.list('space-1')],
        ['invites.list', () => store.invites.list('space-1')],
        ['peers.upsert', () => store.peers.upsert(peer(1))],
        ['settings.get', () => store.settings.get('k')],
        ['folders.get', () => store.folders.get('folder-1')],
        ['folders.put', () => store.folders.put(folder(1))],
        ['index.listLocal', () => store.index.listLocal('folder-1')],
        ['index.putLocal', () => store.index.putLocal('folder-1', [own('a', 1)])],
        ['index.putRemote', () => store.index.putRemote('folder-1', 'device-1', 'i', [])],
        ['index.findBlocks', () => store.index.findBlocks('folder-1', [block(1).hash])],
        ['chat.add', () => store.chat.add(message(1))],
        ['chat.channel', () => store.chat.channel('space-1', 'general')],
        ['chat.setReadMark', () => store.chat.setReadMark('space-1', 'general', 1)],
        ['fileHistory.append', () => store.fileHistory.append('folder-1', [change('a', 1)])],
        ['fileHistory.list', () => store.fileHistory.list('folder-1', { limit: 10 })],
        ['transaction', () => store.transaction(() => 1)],
      ];
      for (const [, op] of ops) expectStoreError(op);
    });

    it('close twice is harmless', () => {
      store.close();
      expect(() => store.close()).not.toThrow();
    });

    describe('persistence across reopen', () => {
      const reopen = (): Store => {
        if (!fx.reopen) throw new Error('unreachable');
        store = fx.reopen();
        return store;
      };

      it('keeps every table group', (ctx) => {
        if (!fx.reopen) return ctx.skip();
        store.spaces.put(space(1));
        store.spaces.put(space(2));
        [2, 0, 1].forEach((n) => store.log.append(entry(n)));
        store.invites.put(invite(1, { revoked: true }));
        store.peers.upsert(peer(1, { addresses: ['a:1', 'b:2'] }));
        store.settings.set('device', { name: 'PC', ports: [1, 2] });

        const s = reopen();
        expect(s.spaces.list()).toEqual([space(1), space(2)]);
        expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(2).id, entry(0).id, entry(1).id]);
        expect(s.log.get(entry(1).id)).toEqual(entry(1));
        expect(s.invites.get('invite-1')).toEqual(invite(1, { revoked: true }));
        expect(s.peers.get('device-1')).toEqual(peer(1, { addresses: ['a:1', 'b:2'] }));
        expect(s.settings.get('device')).toEqual({ name: 'PC', ports: [1, 2] });
      });

      it('keeps folders and the sync index, block finder included', (ctx) => {
        if (!fx.reopen) return ctx.skip();
        store.folders.put(folder(1));
        store.folders.put(folder(2, { state: 'stopped' }));
        store.index.putLocal('folder-1', [own('b', 2, { blocks: [block(1, 10), block(2, 20)] }), own('a', 1), own('d', 3, { type: 'dir', blocks: [] })]);
        store.index.putLocal('folder-1', [own('a', 4, { deleted: true, blocks: [] })]);
        store.index.putRemote('folder-1', 'device-1', 'idx-1', [file('a', 7), file('c', 9)]);
        const before = snapshot(store);

        const s = reopen();
        expect(snapshot(s)).toEqual(before);
        expect(s.folders.list()).toEqual([folder(1), folder(2, { state: 'stopped' })]);
        expect(s.index.getLocal('folder-1', 'b')).toEqual(own('b', 2, { blocks: [block(1, 10), block(2, 20)] }));
        expect(s.index.localSince('folder-1', 2, 10)).toEqual([file('d', 3, { type: 'dir', blocks: [] }), file('a', 4, { deleted: true, blocks: [] })]);
        expect(s.index.remoteState('folder-1', 'device-1')).toEqual({ indexId: 'idx-1', maxSequence: 9 });
        expect(s.index.recordsForPath('folder-1', 'a', self).map((r) => r.deviceId)).toEqual([self, 'device-1']);
        expect(s.index.findBlock('folder-1', block(2).hash)).toEqual({ path: 'b', offset: 10, size: 20 });
        // Writing after reopen continues where the data left off.
        s.index.putLocal('folder-1', [own('b', 5, { blocks: [] })]);
        expect([s.index.localSequence('folder-1'), s.index.findBlock('folder-1', block(2).hash)]).toEqual([5, undefined]);
      });

      it('continues arrival order and idempotence after reopen', (ctx) => {
        if (!fx.reopen) return ctx.skip();
        store.log.append(entry(5));
        const s = reopen();
        expect(s.log.append(entry(5))).toBe(false);
        expect(s.log.append(entry(3))).toBe(true);
        expect(s.log.list('space-1').map((e) => e.id)).toEqual([entry(5).id, entry(3).id]);
      });

      it('does not keep the writes of a rolled-back transaction', (ctx) => {
        if (!fx.reopen) return ctx.skip();
        expect(() =>
          store.transaction(() => {
            store.spaces.put(space(1));
            throw new Error('boom');
          }),
        ).toThrow('boom');
        expect(reopen().spaces.list()).toEqual([]);
      });

      it('round-trips awkward buffers byte-exactly', (ctx) => {
        if (!fx.reopen) return ctx.skip();
        awkwardBuffers.forEach(([, buf], n) => store.log.append(entry(n, { bytes: buf, sig: buf })));
        const s = reopen();
        awkwardBuffers.forEach(([, buf], n) => {
          const got = s.log.get(entry(n).id);
          expect(got?.bytes.equals(buf)).toBe(true);
          expect(got?.sig.equals(buf)).toBe(true);
        });
      });
    });
  });
}

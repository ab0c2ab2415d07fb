/** Store port suite, part: the chat repository (messages, sync state, read marks, attachments). */
import { describe, expect, it } from 'vitest';
import type { AttachmentRecord, Store, StoredChatMessage } from '../../src/ports/store.js';
import { awkwardBuffers, entry, space, type StoreFixture } from './store-suite-fixtures.js';

type NewMessage = Omit<StoredChatMessage, 'seq'>;

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const alice = 'a'.repeat(64);
const bob = 'b'.repeat(64);

export const message = (n: number, over: Partial<NewMessage> = {}): NewMessage => ({
  id: hex(n),
  spaceId: 'space-1',
  channelId: 'general',
  author: alice,
  lamport: n,
  time: 1_700_000_000_000 + n,
  kind: 'post',
  target: null,
  attachments: [],
  bytes: Buffer.from(`message ${n}`),
  sig: Buffer.alloc(64, n),
  via: 'd'.repeat(64),
  ...over,
});

const stored = (n: number, seq: number, over: Partial<NewMessage> = {}): StoredChatMessage => ({ ...message(n, over), seq });

export const attachment = (n: number, over: Partial<AttachmentRecord> = {}): AttachmentRecord => ({
  attachmentId: hex(1000 + n),
  spaceId: 'space-1',
  name: `photo ${n}.jpg`,
  size: 1000 * n,
  manifest: null,
  complete: false,
  ...over,
});

const ids = (list: StoredChatMessage[]): string[] => list.map((m) => m.id);
const sorted = (list: string[]): string[] => [...list].sort();

/** Writes a bit of everything into space-1 (and one message into space-2). */
function fill(s: Store): void {
  s.chat.add(message(1, { attachments: [attachment(1).attachmentId] }));
  s.chat.add(message(2, { channelId: 'dm:x', author: bob }));
  s.chat.add(message(3, { kind: 'edit', target: hex(1) }));
  s.chat.add(message(9, { spaceId: 'space-2' }));
  s.chat.logId('space-1', 'log-1');
  s.chat.setPeerState('space-1', 'device-1', { logId: 'peer-log', seq: 7 });
  s.chat.setReadMark('space-1', 'general', 2);
  s.chat.putAttachment(attachment(1, { manifest: Buffer.alloc(36, 1), complete: true }));
}

/** Everything fill() wrote to space-1, read back through the port. */
function chatOf(s: Store, spaceId = 'space-1'): unknown {
  return {
    since: s.chat.since(spaceId, 0, Infinity),
    channels: sorted(s.chat.channelIds(spaceId)).map((c) => [c, s.chat.channel(spaceId, c)]),
    sequence: s.chat.sequence(spaceId),
    peer: s.chat.peerState(spaceId, 'device-1'),
    read: s.chat.readMark(spaceId, 'general'),
    attachment: s.chat.getAttachment(spaceId, attachment(1).attachmentId),
    attachmentChannels: s.chat.attachmentChannels(spaceId, attachment(1).attachmentId),
  };
}

export function registerChatTests(fixture: () => StoreFixture): void {
  const get = (): Store => fixture().store;

  describe('chat messages', () => {
    it('add numbers each space from 1 and returns the seq; get and has answer by id', () => {
      const s = get();
      expect(s.chat.add(message(5))).toBe(1);
      expect(s.chat.add(message(2))).toBe(2);
      expect(s.chat.add(message(7, { spaceId: 'space-2' }))).toBe(1);
      expect(s.chat.add(message(1, { channelId: 'other' }))).toBe(3);
      expect(s.chat.get(hex(2))).toEqual(stored(2, 2));
      expect(s.chat.get(hex(7))).toEqual(stored(7, 1, { spaceId: 'space-2' }));
      expect(s.chat.get(hex(8))).toBeUndefined();
      expect([s.chat.has(hex(5)), s.chat.has(hex(7)), s.chat.has(hex(8))]).toEqual([true, true, false]);
    });

    it('add of an id already stored returns null and changes nothing, even from another space', () => {
      const s = get();
      s.chat.add(message(1, { attachments: [hex(50)] }));
      s.chat.add(message(2));
      const before = chatOf(s);
      expect(s.chat.add(message(1))).toBeNull();
      expect(s.chat.add(message(1, { spaceId: 'space-2', channelId: 'x', lamport: 99, bytes: Buffer.from('other'), attachments: [hex(51)] }))).toBeNull();
      expect(chatOf(s)).toEqual(before);
      expect(s.chat.get(hex(1))).toEqual(stored(1, 1, { attachments: [hex(50)] }));
      expect([s.chat.sequence('space-2'), s.chat.channelIds('space-2'), s.chat.attachmentChannels('space-2', hex(51))]).toEqual([0, [], []]);
      expect(s.chat.add(message(3))).toBe(3);
    });

    it('keeps every field: edits and deletes with their target, attachments in order, null target', () => {
      const s = get();
      const post = message(1, { attachments: [hex(60), hex(61), hex(60)] });
      const edit = message(2, { kind: 'edit', target: hex(1), author: bob, via: bob });
      const del = message(3, { kind: 'delete', target: hex(1), lamport: 0, time: 0 });
      [post, edit, del].forEach((m) => s.chat.add(m));
      expect(s.chat.get(hex(1))).toEqual({ ...post, seq: 1 });
      expect(s.chat.get(hex(2))).toEqual({ ...edit, seq: 2 });
      expect(s.chat.get(hex(3))).toEqual({ ...del, seq: 3 });
      expect(s.chat.get(hex(1))?.target).toBeNull();
    });

    it.each(awkwardBuffers)('bytes and sig round-trip byte-exactly: %s', (_label, buf) => {
      get().chat.add(message(1, { bytes: buf, sig: buf }));
      const got = get().chat.get(hex(1));
      expect(Buffer.isBuffer(got?.bytes)).toBe(true);
      expect(got?.bytes.equals(buf)).toBe(true);
      expect(got?.sig.equals(buf)).toBe(true);
    });

    it('channel holds posts, edits and deletes ordered by lamport, then time, then id, whatever the arrival order', () => {
      const s = get();
      // [n, lamport, time]: ties on lamport fall back to time, ties on both to the id.
      const arrivals: [number, number, number][] = [
        [6, 3, 50],
        [1, 3, 50],
        [4, 1, 900],
        [3, 2, 10],
        [5, 2, 5],
        [2, 3, 40],
      ];
      for (const [n, lamport, time] of arrivals) s.chat.add(message(n, { lamport, time, kind: n === 3 ? 'edit' : n === 2 ? 'delete' : 'post', target: n === 3 || n === 2 ? hex(4) : null }));
      s.chat.add(message(7, { channelId: 'other', lamport: 0 }));
      s.chat.add(message(8, { spaceId: 'space-2', lamport: 0 }));
      expect(ids(s.chat.channel('space-1', 'general'))).toEqual([4, 5, 3, 2, 1, 6].map(hex));
      expect(s.chat.channel('space-1', 'general')[0]).toEqual(stored(4, 3, { lamport: 1, time: 900 }));
      expect(ids(s.chat.channel('space-1', 'other'))).toEqual([hex(7)]);
      expect(ids(s.chat.channel('space-2', 'general'))).toEqual([hex(8)]);
      expect(s.chat.channel('space-1', 'none')).toEqual([]);
      expect(s.chat.channel('space-9', 'general')).toEqual([]);
    });

    it('orders lamport clocks as numbers, not text', () => {
      const s = get();
      [10, 9, 100, 2].forEach((lamport, i) => s.chat.add(message(i + 1, { lamport })));
      expect(s.chat.channel('space-1', 'general').map((m) => m.lamport)).toEqual([2, 9, 10, 100]);
    });

    it('since pages through a space by seq', () => {
      const s = get();
      [9, 3, 7, 1, 5].forEach((n, i) => s.chat.add(message(n, { channelId: i % 2 ? 'a' : 'b', lamport: 100 - n })));
      s.chat.add(message(20, { spaceId: 'space-2' }));
      const all = s.chat.since('space-1', 0, 100);
      expect(all.map((m) => m.seq)).toEqual([1, 2, 3, 4, 5]);
      expect(ids(all)).toEqual([9, 3, 7, 1, 5].map(hex));
      expect(all[2]).toEqual(stored(7, 3, { channelId: 'b', lamport: 93 }));
      expect(ids(s.chat.since('space-1', 0, 2))).toEqual([hex(9), hex(3)]);
      expect(ids(s.chat.since('space-1', 2, 2))).toEqual([hex(7), hex(1)]);
      expect(ids(s.chat.since('space-1', 4, 2))).toEqual([hex(5)]);
      expect(s.chat.since('space-1', 5, 2)).toEqual([]);
      expect(s.chat.since('space-1', 99, 2)).toEqual([]);
      expect(s.chat.since('space-1', 0, 0)).toEqual([]);
      expect(s.chat.since('space-1', 3, Infinity).map((m) => m.seq)).toEqual([4, 5]);
      expect(s.chat.since('space-1', -1, 1).map((m) => m.seq)).toEqual([1]);
      expect(ids(s.chat.since('space-2', 0, 10))).toEqual([hex(20)]);
      expect(s.chat.since('space-9', 0, 10)).toEqual([]);
    });

    it('channelIds lists each channel with a message once; maxLamport and sequence default to 0', () => {
      const s = get();
      expect([s.chat.channelIds('space-1'), s.chat.maxLamport('space-1', 'general'), s.chat.sequence('space-1')]).toEqual([[], 0, 0]);
      s.chat.add(message(1, { lamport: 4 }));
      s.chat.add(message(2, { lamport: 11 }));
      s.chat.add(message(3, { lamport: 7, kind: 'delete', target: hex(1) }));
      s.chat.add(message(4, { channelId: 'dm:x', lamport: 2 }));
      s.chat.add(message(5, { spaceId: 'space-2', channelId: 'z', lamport: 50 }));
      expect(sorted(s.chat.channelIds('space-1'))).toEqual(['dm:x', 'general']);
      expect(s.chat.channelIds('space-2')).toEqual(['z']);
      expect([s.chat.maxLamport('space-1', 'general'), s.chat.maxLamport('space-1', 'dm:x'), s.chat.maxLamport('space-1', 'z')]).toEqual([11, 2, 0]);
      expect([s.chat.sequence('space-1'), s.chat.sequence('space-2'), s.chat.sequence('space-9')]).toEqual([4, 1, 0]);
    });

    it('countPostsSince counts the channel\'s posts above the mark by other authors only', () => {
      const s = get();
      s.chat.add(message(1, { author: bob })); // seq 1
      s.chat.add(message(2, { author: bob })); // 2
      s.chat.add(message(3)); // 3, alice
      s.chat.add(message(4, { author: bob, kind: 'edit', target: hex(2) })); // 4
      s.chat.add(message(5, { author: bob, kind: 'delete', target: hex(1) })); // 5
      s.chat.add(message(6, { author: bob, channelId: 'other' })); // 6
      s.chat.add(message(7, { author: 'c'.repeat(64) })); // 7
      s.chat.add(message(8, { author: bob, spaceId: 'space-2' }));
      expect(s.chat.countPostsSince('space-1', 'general', 0, alice)).toBe(3);
      expect(s.chat.countPostsSince('space-1', 'general', 1, alice)).toBe(2);
      expect(s.chat.countPostsSince('space-1', 'general', 2, alice)).toBe(1);
      expect(s.chat.countPostsSince('space-1', 'general', 7, alice)).toBe(0);
      expect(s.chat.countPostsSince('space-1', 'general', 0, bob)).toBe(2);
      expect(s.chat.countPostsSince('space-1', 'other', 0, alice)).toBe(1);
      expect(s.chat.countPostsSince('space-2', 'general', 0, alice)).toBe(1);
      expect(s.chat.countPostsSince('space-9', 'general', 0, alice)).toBe(0);
    });

    it('attachmentChannels names each channel whose messages carry the attachment, in its space only', () => {
      const s = get();
      const [a, b, c] = [hex(100), hex(101), hex(102)];
      s.chat.add(message(1, { attachments: [a, b] }));
      s.chat.add(message(2, { channelId: 'dm:x', attachments: [a, a] }));
      s.chat.add(message(3, { attachments: [a] }));
      s.chat.add(message(4, { spaceId: 'space-2', channelId: 'elsewhere', attachments: [c, a] }));
      expect(sorted(s.chat.attachmentChannels('space-1', a))).toEqual(['dm:x', 'general']);
      expect(s.chat.attachmentChannels('space-1', b)).toEqual(['general']);
      expect(s.chat.attachmentChannels('space-1', c)).toEqual([]);
      expect(s.chat.attachmentChannels('space-2', a)).toEqual(['elsewhere']);
      expect(s.chat.attachmentChannels('space-9', a)).toEqual([]);
    });
  });

  describe('chat sync state, read marks, attachments', () => {
    it('logId stores the first fresh value and keeps returning it, per space', () => {
      const s = get();
      expect(s.chat.logId('space-1', 'log-a')).toBe('log-a');
      expect(s.chat.logId('space-1', 'log-b')).toBe('log-a');
      expect(s.chat.logId('space-2', 'log-c')).toBe('log-c');
      expect(s.chat.logId('space-1', 'log-d')).toBe('log-a');
    });

    it('peer state round-trips per space and peer; setting again replaces it', () => {
      const s = get();
      expect(s.chat.peerState('space-1', 'device-1')).toBeUndefined();
      s.chat.setPeerState('space-1', 'device-1', { logId: 'l1', seq: 5 });
      s.chat.setPeerState('space-1', 'device-2', { logId: 'l2', seq: 9 });
      s.chat.setPeerState('space-2', 'device-1', { logId: 'l3', seq: 1 });
      expect(s.chat.peerState('space-1', 'device-1')).toEqual({ logId: 'l1', seq: 5 });
      s.chat.setPeerState('space-1', 'device-1', { logId: 'l4', seq: 0 });
      expect(s.chat.peerState('space-1', 'device-1')).toEqual({ logId: 'l4', seq: 0 });
      expect(s.chat.peerState('space-1', 'device-2')).toEqual({ logId: 'l2', seq: 9 });
      expect(s.chat.peerState('space-2', 'device-1')).toEqual({ logId: 'l3', seq: 1 });
      expect(s.chat.peerState('space-2', 'device-2')).toBeUndefined();
    });

    it('read marks default to 0 and are kept per space and channel, as set (lower too)', () => {
      const s = get();
      expect(s.chat.readMark('space-1', 'general')).toBe(0);
      s.chat.setReadMark('space-1', 'general', 12);
      s.chat.setReadMark('space-1', 'dm:x', 3);
      s.chat.setReadMark('space-2', 'general', 40);
      expect([s.chat.readMark('space-1', 'general'), s.chat.readMark('space-1', 'dm:x'), s.chat.readMark('space-2', 'general')]).toEqual([12, 3, 40]);
      s.chat.setReadMark('space-1', 'general', 8);
      expect(s.chat.readMark('space-1', 'general')).toBe(8);
      expect(s.chat.readMark('space-2', 'dm:x')).toBe(0);
    });

    it('attachments round-trip, a null manifest included; put again replaces; keyed by space too', () => {
      const s = get();
      expect(s.chat.getAttachment('space-1', attachment(1).attachmentId)).toBeUndefined();
      s.chat.putAttachment(attachment(1));
      expect(s.chat.getAttachment('space-1', attachment(1).attachmentId)).toEqual(attachment(1));
      expect(s.chat.getAttachment('space-1', attachment(1).attachmentId)?.manifest).toBeNull();
      const manifest = Buffer.concat([Buffer.alloc(32, 7), Buffer.from([0, 1, 0, 0])]);
      s.chat.putAttachment(attachment(1, { manifest, complete: true, name: 'renamed.jpg' }));
      s.chat.putAttachment(attachment(1, { spaceId: 'space-2' }));
      const got = s.chat.getAttachment('space-1', attachment(1).attachmentId);
      expect(got).toEqual(attachment(1, { manifest, complete: true, name: 'renamed.jpg' }));
      expect(Buffer.isBuffer(got?.manifest)).toBe(true);
      expect(s.chat.getAttachment('space-2', attachment(1).attachmentId)).toEqual(attachment(1, { spaceId: 'space-2' }));
      expect(s.chat.getAttachment('space-9', attachment(1).attachmentId)).toBeUndefined();
    });

    it('an empty manifest is not a missing one', () => {
      const s = get();
      s.chat.putAttachment(attachment(1, { manifest: Buffer.alloc(0), size: 0, complete: true }));
      const got = s.chat.getAttachment('space-1', attachment(1).attachmentId);
      expect(got?.manifest).not.toBeNull();
      expect(got?.manifest?.length).toBe(0);
    });
  });

  describe('chat by value', () => {
    it('changing a message after add or after reading it does not change the store', () => {
      const s = get();
      const m = message(1, { attachments: [hex(70)] });
      s.chat.add(m);
      m.bytes[0] = 0;
      m.sig[0] = 0;
      m.attachments.push(hex(71));
      m.channelId = 'changed';
      const read = [s.chat.get(hex(1)), s.chat.channel('space-1', 'general')[0], s.chat.since('space-1', 0, 1)[0]];
      for (const r of read) {
        r?.bytes.fill(1);
        r?.sig.fill(1);
        r?.attachments.push(hex(72));
        if (r) r.seq = 99;
      }
      expect(s.chat.get(hex(1))).toEqual(stored(1, 1, { attachments: [hex(70)] }));
      expect(s.chat.attachmentChannels('space-1', hex(71))).toEqual([]);
    });

    it('changing an attachment record or a peer state after put or get does not change the store', () => {
      const s = get();
      const a = attachment(1, { manifest: Buffer.alloc(36, 3) });
      s.chat.putAttachment(a);
      a.manifest?.fill(0);
      a.name = 'changed';
      s.chat.getAttachment('space-1', a.attachmentId)?.manifest?.fill(9);
      expect(s.chat.getAttachment('space-1', a.attachmentId)).toEqual(attachment(1, { manifest: Buffer.alloc(36, 3) }));

      const state = { logId: 'l1', seq: 4 };
      s.chat.setPeerState('space-1', 'device-1', state);
      state.seq = 10;
      const got = s.chat.peerState('space-1', 'device-1');
      if (got) got.seq = 20;
      expect(s.chat.peerState('space-1', 'device-1')).toEqual({ logId: 'l1', seq: 4 });
    });
  });

  describe('chat in transactions and with its space', () => {
    it('a throw inside store.transaction undoes every chat write', () => {
      const s = get();
      s.chat.add(message(1));
      s.chat.setPeerState('space-1', 'device-1', { logId: 'l1', seq: 1 });
      s.chat.setReadMark('space-1', 'general', 1);
      s.chat.putAttachment(attachment(1));
      const before = chatOf(s);
      expect(() =>
        s.transaction(() => {
          expect(s.chat.add(message(2, { attachments: [attachment(1).attachmentId] }))).toBe(2);
          s.chat.add(message(3, { channelId: 'new' }));
          s.chat.add(message(4, { spaceId: 'space-2' }));
          s.chat.logId('space-1', 'log-x');
          s.chat.setPeerState('space-1', 'device-1', { logId: 'l2', seq: 9 });
          s.chat.setReadMark('space-1', 'general', 3);
          s.chat.putAttachment(attachment(1, { manifest: Buffer.alloc(36), complete: true }));
          expect(s.chat.sequence('space-1')).toBe(3);
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(chatOf(s)).toEqual(before);
      expect([s.chat.has(hex(2)), s.chat.has(hex(4)), s.chat.sequence('space-2'), s.chat.channelIds('space-2')]).toEqual([false, false, 0, []]);
      // Nothing of the rolled-back writes lingers: the numbers and the log id are free again.
      expect(s.chat.logId('space-1', 'log-y')).toBe('log-y');
      expect(s.chat.add(message(3))).toBe(2);
      expect(s.chat.add(message(4, { spaceId: 'space-2' }))).toBe(1);
    });

    it('an inner failure that is caught undoes only the inner chat writes', () => {
      const s = get();
      s.transaction(() => {
        s.chat.add(message(1));
        expect(() =>
          s.transaction(() => {
            s.chat.add(message(2, { channelId: 'inner' }));
            throw new Error('inner');
          }),
        ).toThrow('inner');
        expect(s.chat.add(message(3))).toBe(2);
      });
      expect(ids(s.chat.since('space-1', 0, 10))).toEqual([hex(1), hex(3)]);
      expect(s.chat.channelIds('space-1')).toEqual(['general']);
    });

    it('deleting a space forgets its chat and nothing of other spaces; numbering starts again', () => {
      const s = get();
      s.spaces.put(space(1));
      s.spaces.put(space(2));
      fill(s);
      s.chat.putAttachment(attachment(2, { spaceId: 'space-2' }));
      s.chat.setReadMark('space-2', 'general', 1);
      const other = chatOf(s, 'space-2');
      s.spaces.delete('space-1');
      expect(chatOf(s)).toEqual({
        since: [],
        channels: [],
        sequence: 0,
        peer: undefined,
        read: 0,
        attachment: undefined,
        attachmentChannels: [],
      });
      expect([s.chat.has(hex(1)), s.chat.get(hex(2)), s.chat.maxLamport('space-1', 'general')]).toEqual([false, undefined, 0]);
      expect(chatOf(s, 'space-2')).toEqual(other);
      expect(s.chat.getAttachment('space-2', attachment(2).attachmentId)).toEqual(attachment(2, { spaceId: 'space-2' }));
      expect(s.chat.logId('space-1', 'log-2')).toBe('log-2');
      expect(s.chat.add(message(1))).toBe(1);
    });

    it('a rolled-back space delete keeps its chat', () => {
      const s = get();
      s.spaces.put(space(1));
      fill(s);
      s.log.append(entry(1));
      const before = chatOf(s);
      expect(() =>
        s.transaction(() => {
          s.spaces.delete('space-1');
          throw new Error('boom');
        }),
      ).toThrow('boom');
      expect(chatOf(s)).toEqual(before);
      expect(s.chat.logId('space-1', 'other')).toBe('log-1');
      expect(s.chat.add(message(4))).toBe(4);
    });

    it('keeps everything across reopen and continues the numbering', (ctx) => {
      const fx = fixture();
      if (!fx.reopen) return ctx.skip();
      fill(fx.store);
      const before = chatOf(fx.store);
      const s = fx.reopen();
      expect(chatOf(s)).toEqual(before);
      expect(s.chat.get(hex(9))).toEqual(stored(9, 1, { spaceId: 'space-2' }));
      expect(s.chat.logId('space-1', 'other')).toBe('log-1');
      expect(s.chat.add(message(1))).toBeNull();
      expect(s.chat.add(message(4))).toBe(4);
      expect(s.chat.countPostsSince('space-1', 'general', 0, bob)).toBe(2);
    });
  });
}

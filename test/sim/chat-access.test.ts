import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChannel } from '../../src/core/chat/chat-channel.js';
import { sign } from '../../src/core/crypto.js';
import { NotFoundError } from '../../src/errors/index.js';
import { directChannelId, encodeChatMessage, GENERAL_CHANNEL } from '../../src/protocol/index.js';
import type { AgoraNode } from '../../src/node/agora-node.js';
import type { Role } from '../../src/ports/store.js';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;

describe('simulation: who reads which chat channel', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  async function setup(roles: [string, Role][]) {
    sim = new Simulation();
    const a = await sim.node('Alice');
    a.createSpace('Acme');
    const spaceId = a.listSpaces()[0]!.spaceId;
    const others: AgoraNode[] = [];
    for (const [name, role] of roles) {
      const n = await sim.node(name);
      await n.join(a.invite('Acme', { role, expiresInMs: DAY, uses: 1 }).code);
      others.push(n);
    }
    await sim.until(() => others.every((n) => a.peers.isOnline(n.deviceId)), 'everyone meets Alice');
    return { a, others, spaceId };
  }

  /** The texts `n` holds in a channel; none while it does not know the channel yet (a wait polls this). */
  const texts = (n: AgoraNode, target: { channel: string } | { with: string }) => {
    try {
      return n.chat.read('Acme', target, { markRead: false }).map((m) => m.text);
    } catch (err) {
      if (err instanceof NotFoundError) return [];
      throw err;
    }
  };
  const heldChannels = (n: AgoraNode, spaceId: string) => sim.storeOf(n).chat.channelIds(spaceId);

  it('guests never receive general, a private channel reaches only its members, a direct message only its two', async () => {
    const { a, others, spaceId } = await setup([['Bob', 'member'], ['Gina', 'guest']]);
    const [b, g] = others as [AgoraNode, AgoraNode];
    a.chat.send('Acme', { channel: 'general' }, 'staff only');
    const orders = a.chat.createChannel('Acme', 'acme-orders', [g.deviceId]);
    expect(orders).toMatchObject({ kind: 'private', members: 2 });
    a.chat.send('Acme', { channel: 'acme-orders' }, 'your order shipped');
    a.chat.send('Acme', { with: g.deviceId }, 'a word in private');
    g.chat.send('Acme', { with: a.deviceId }, 'thanks');
    await sim.until(() => texts(b, { channel: 'general' }).length === 1, 'B has general');
    await sim.until(() => texts(g, { channel: 'acme-orders' }).length === 1 && texts(g, { with: a.deviceId }).length === 2, 'G has its channel and DM');
    await sim.until(() => texts(a, { with: g.deviceId }).length === 2, 'A has the reply');
    // Give every stray message time to travel, then look at what each store holds.
    sim.clock.advance(30_000);
    await sim.until(() => a.peers.isOnline(b.deviceId) && a.peers.isOnline(g.deviceId), 'still connected');
    expect(heldChannels(g, spaceId).sort()).toEqual([orders.channelId, directChannelId(a.deviceId, g.deviceId)].sort());
    expect(heldChannels(b, spaceId)).toEqual([GENERAL_CHANNEL]);
    expect(g.chat.channels('Acme').map((c) => c.name).sort()).toEqual(['@Alice', 'acme-orders']);
    // B may not know the private channel's name, and cannot read or write in it.
    expect(b.chat.channels('Acme').map((c) => c.name)).toEqual(['general']);
    expect(b.spaces.channelName(spaceId, orders.channelId)).toBeNull();
    expect(() => b.chat.send('Acme', { channel: orders.channelId }, 'let me in')).toThrow(/channel/);
    expect(() => g.chat.send('Acme', { channel: 'general' }, 'hello staff')).toThrow(/channel/);
  });

  it('a guest learns the name of a member who writes to it directly, and of no one else', async () => {
    const { a, others, spaceId } = await setup([['Bob', 'member'], ['Gina', 'guest']]);
    const [b, g] = others as [AgoraNode, AgoraNode];
    expect(g.spaces.memberName(spaceId, a.deviceId)).toBeNull();
    a.chat.send('Acme', { with: g.deviceId }, 'Hello Gina, Alice here');
    await sim.until(() => g.spaces.memberName(spaceId, a.deviceId) === 'Alice', 'G knows who wrote');
    expect(g.chat.read('Acme', { with: 'Alice' }).map((m) => [m.authorName, m.text])).toEqual([['Alice', 'Hello Gina, Alice here']]);
    expect(g.spaces.memberName(spaceId, b.deviceId)).toBeNull();
  });

  it('a message too long to sign is refused with a clear error, and nothing is stored', async () => {
    const { a, spaceId } = await setup([]);
    expect(() => a.chat.send('Acme', { channel: 'general' }, 'x'.repeat(17_000))).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => a.chat.send('Acme', { channel: 'general' }, '"'.repeat(16_380))).toThrow(/cannot be sent/);
    expect(sim.storeOf(a).chat.sequence(spaceId)).toBe(0);
  });

  it('two guests cannot write to each other', async () => {
    const { others } = await setup([['Gina', 'guest'], ['Hank', 'guest']]);
    const [g, h] = others as [AgoraNode, AgoraNode];
    expect(() => g.chat.send('Acme', { with: h.deviceId }, 'hi')).toThrow();
  });

  it('a new member sees general from when it joined; a full-history channel and a late-added member see it all', async () => {
    const { a, others } = await setup([['Bob', 'member'], ['Gina', 'guest']]);
    const [b, g] = others as [AgoraNode, AgoraNode];
    a.chat.createChannel('Acme', 'archive', [], 'full');
    a.chat.send('Acme', { channel: 'general' }, 'before Dan');
    a.chat.send('Acme', { channel: 'archive' }, 'old news');
    a.chat.createChannel('Acme', 'project', [b.deviceId], 'full');
    a.chat.send('Acme', { channel: 'project' }, 'project kickoff');
    await sim.until(() => texts(b, { channel: 'general' }).length === 1 && texts(b, { channel: 'project' }).length === 1, 'B has both');
    sim.clock.advance(60_000);
    const d = await sim.node('Dan');
    await d.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    a.chat.send('Acme', { channel: 'general' }, 'welcome Dan');
    await sim.until(() => texts(d, { channel: 'general' }).includes('welcome Dan') && texts(d, { channel: 'archive' }).length === 1, 'Dan has what he may see');
    expect(texts(d, { channel: 'general' })).toEqual(['welcome Dan']);
    expect(texts(d, { channel: 'archive' })).toEqual(['old news']);
    // Gina is added to the full-history project channel later: she gets its past too.
    a.chat.setChannelMember('Acme', 'project', g.deviceId, true);
    await sim.until(() => g.chat.channels('Acme').some((c) => c.name === 'project') && texts(g, { channel: 'project' }).length === 1, 'Gina has the project history');
    expect(texts(g, { channel: 'project' })).toEqual(['project kickoff']);
  });

  it('forged, misaddressed and unauthorised messages are ignored, and nothing of them is stored', async () => {
    const { a, others, spaceId } = await setup([['Bob', 'member'], ['Gina', 'guest']]);
    const [b, g] = others as [AgoraNode, AgoraNode];
    const keys = { b: (b as unknown as { deps: { identity: { keyPair: { secretKey: Buffer } } } }).deps.identity.keyPair, g: (g as unknown as { deps: { identity: { keyPair: { secretKey: Buffer } } } }).deps.identity.keyPair };
    const message = (author: string, secretKey: Buffer, fields: Partial<{ space: string; channel: string; text: string }> = {}) => {
      const bytes = encodeChatMessage({
        v: 1,
        space: fields.space ?? spaceId,
        channel: fields.channel ?? GENERAL_CHANNEL,
        author,
        lamport: 1,
        time: sim.clock.now(),
        nonce: randomBytes(16).toString('hex'),
        body: { type: 'post', text: fields.text ?? 'x', mentions: [], attachments: [] },
      });
      return { bytes, sig: sign(bytes, secretKey) };
    };
    const from = (peerId: string) => ({ spaceId, peerId, opened: true }) as unknown as ChatChannel;
    const before = sim.storeOf(a).chat.sequence(spaceId);
    const forged = message(b.deviceId, keys.g.secretKey, { text: 'signed by someone else' });
    const guestInGeneral = message(g.deviceId, keys.g.secretKey, { text: 'a guest in general' });
    const otherSpace = message(b.deviceId, keys.b.secretKey, { space: 'ab'.repeat(32) });
    const garbage = { bytes: Buffer.from('{"v":1}'), sig: Buffer.alloc(64) };
    a.chatService.onBatch(from(b.deviceId), { seq: 0, items: [forged, guestInGeneral, otherSpace, garbage] });
    expect(sim.storeOf(a).chat.sequence(spaceId)).toBe(before);
    // A good one through the same door is taken.
    a.chatService.onBatch(from(b.deviceId), { seq: 0, items: [message(b.deviceId, keys.b.secretKey, { text: 'genuine' })] });
    expect(texts(a, { channel: 'general' })).toEqual(['genuine']);
  });

  it('an attachment travels as blocks to the channel\'s readers, byte for byte', async () => {
    const { a, others } = await setup([['Bob', 'member']]);
    const [b] = others as [AgoraNode];
    const data = randomBytes(3 * 1024 * 1024 + 17);
    async function* chunks() {
      for (let i = 0; i < data.length; i += 200_000) yield data.subarray(i, i + 200_000);
    }
    const ref = await a.chat.importAttachment('Acme', 'plan.pdf', chunks());
    expect(ref.size).toBe(data.length);
    a.chat.send('Acme', { channel: 'general' }, 'the plan', [ref]);
    await sim.until(() => b.chat.read('Acme', { channel: 'general' }, { markRead: false })[0]?.attachments[0]?.available === true, 'B fetched the attachment');
    const { handle, size, name } = await b.chat.openAttachment('Acme', ref.id);
    const got = Buffer.alloc(size);
    await handle.read(got, 0, size, 0);
    await handle.close();
    expect(name).toBe('plan.pdf');
    expect(got.equals(data)).toBe(true);
  });
});

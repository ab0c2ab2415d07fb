import { afterEach, describe, expect, it } from 'vitest';
import { verify } from '../../src/core/crypto.js';
import { decodeChatMessage, GENERAL_CHANNEL } from '../../src/protocol/index.js';
import type { AgoraNode } from '../../src/node/agora-node.js';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;

/** What a node shows of a channel, as comparable data. */
function history(n: AgoraNode, space: string, channel = GENERAL_CHANNEL) {
  return n.chat.read(space, { channel }, { markRead: false }).map((m) => ({ id: m.messageId, author: m.author, text: m.text, edited: m.editedAt !== null, deleted: m.deleted }));
}

describe('simulation: chat', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  async function space(names: string[], seed?: number) {
    sim = new Simulation(seed);
    const nodes: AgoraNode[] = [];
    for (const name of names) nodes.push(await sim.node(name));
    const [a, ...rest] = nodes as [AgoraNode, ...AgoraNode[]];
    a.createSpace('Acme');
    for (const n of rest) await n.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    const ids = nodes.map((n) => n.deviceId);
    await sim.until(() => nodes.every((n) => ids.every((id) => id === n.deviceId || n.peers.isOnline(id))), 'everyone online');
    return nodes;
  }

  it('store and forward: C, offline when A posts, gets A\'s message from B alone, signed and in order', async () => {
    const [a, b, c] = await space(['Alice', 'Bob', 'Carol']);
    sim.hub.partition([c!.deviceId], [a!.deviceId, b!.deviceId]);
    await sim.until(() => !a!.peers.isOnline(c!.deviceId) && !b!.peers.isOnline(c!.deviceId), 'C offline');
    const first = a!.chat.send('Acme', { channel: 'general' }, 'Morning all');
    const second = a!.chat.send('Acme', { channel: 'general' }, 'Invoices are in the folder');
    await sim.until(() => history(b!, 'Acme').length === 2, 'B has both');
    // A goes offline; C comes back and meets only B.
    sim.hub.heal();
    sim.hub.partition([a!.deviceId], [b!.deviceId, c!.deviceId]);
    await sim.until(() => history(c!, 'Acme').length === 2, 'C has A\'s messages through B');
    expect(a!.peers.isOnline(c!.deviceId)).toBe(false);
    const got = c!.chat.read('Acme', { channel: 'general' });
    expect(got.map((m) => m.messageId)).toEqual([first.messageId, second.messageId]);
    expect(got.map((m) => m.authorName)).toEqual(['Alice', 'Alice']);
    // The stored bytes are A's, and A's signature checks out on C.
    const stored = sim.storeOf(c!).chat.get(first.messageId)!;
    expect(verify(stored.bytes, stored.sig, a!.deviceId)).toBe(true);
    expect(decodeChatMessage(stored).content.author).toBe(a!.deviceId);
    expect(stored.via).toBe(b!.deviceId);
  });

  it('random partitions and reorders end with identical histories, edits and deletes included', async () => {
    const nodes = await space(['Alice', 'Bob', 'Carol', 'Dan']);
    const posted: { node: AgoraNode; id: string }[] = [];
    for (let round = 0; round < 6; round++) {
      sim.hub.randomPartition();
      for (const n of nodes) {
        if (sim.hub.random() < 0.7) posted.push({ node: n, id: n.chat.send('Acme', { channel: 'general' }, `${n.displayName} round ${round}`).messageId });
      }
      const own = posted.filter(() => sim.hub.random() < 0.3);
      for (const p of own.slice(0, 2)) {
        const view = p.node.chat.read('Acme', { channel: 'general' }, { markRead: false }).find((m) => m.messageId === p.id);
        if (view && !view.deleted) {
          if (sim.hub.random() < 0.5) p.node.chat.edit('Acme', p.id, `edited in round ${round}`);
          else p.node.chat.remove('Acme', p.id);
        }
      }
      sim.clock.advance(2_000);
      sim.hub.heal();
    }
    const expected = posted.length;
    await sim.until(() => nodes.every((n) => history(n, 'Acme').length === expected), 'every node holds every message');
    await sim.until(() => nodes.every((n) => JSON.stringify(history(n, 'Acme')) === JSON.stringify(history(nodes[0]!, 'Acme'))), 'identical histories');
    const h = history(nodes[0]!, 'Acme');
    expect(new Set(h.map((m) => m.id)).size).toBe(expected);
    // Each author's own messages appear in the order that author wrote them.
    for (const n of nodes) {
      const mine = posted.filter((p) => p.node === n).map((p) => p.id);
      expect(h.filter((m) => m.author === n.deviceId).map((m) => m.id)).toEqual(mine);
    }
  });

  it('a reply sorts after the message it answers on every node, whatever order they arrive in', async () => {
    const [a, b, c] = await space(['Alice', 'Bob', 'Carol']);
    sim.hub.partition([c!.deviceId], [a!.deviceId, b!.deviceId]);
    const q = a!.chat.send('Acme', { channel: 'general' }, 'Who has the key?');
    await sim.until(() => history(b!, 'Acme').length === 1, 'B sees the question');
    const r = b!.chat.send('Acme', { channel: 'general' }, 'I do');
    // Carol's own message, written without seeing either.
    const own = c!.chat.send('Acme', { channel: 'general' }, 'Offline note');
    sim.hub.heal();
    await sim.until(() => [a, b, c].every((n) => history(n!, 'Acme').length === 3), 'all three everywhere');
    for (const n of [a, b, c]) {
      const ids = history(n!, 'Acme').map((m) => m.id);
      expect(ids.indexOf(q.messageId)).toBeLessThan(ids.indexOf(r.messageId));
      expect(ids).toContain(own.messageId);
    }
    expect(history(c!, 'Acme')).toEqual(history(a!, 'Acme'));
  });
});

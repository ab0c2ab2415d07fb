import { describe, expect, it } from 'vitest';
import { MemoryNetworkHub } from '../../src/adapters/network-memory/index.js';
import { describeNetworkPort, type NetworkNode } from '../ports/network-suite.js';
import { closed, keyPair, NetworkLog, strangerId, testChannel, waitFor, within } from '../ports/network-helpers.js';

describeNetworkPort('memory', async (count) => {
  const hub = new MemoryNetworkHub();
  const nodes: NetworkNode[] = [];
  for (let i = 0; i < count; i++) {
    const network = hub.createNetwork({ keyPair: keyPair() });
    await network.start();
    nodes.push({ network, id: network.id, addresses: network.addresses() });
  }
  return {
    nodes,
    transport: 'memory',
    deadAddress: async () => `mem:${strangerId()}`,
    close: async () => {
      await Promise.all(nodes.map((node) => node.network.close()));
    },
  };
});

describe('MemoryNetworkHub', () => {
  async function trio() {
    const hub = new MemoryNetworkHub();
    const nets = [0, 1, 2].map(() => hub.createNetwork({ keyPair: keyPair() }));
    for (const net of nets) {
      net.setFirewall(() => true);
      await net.start();
    }
    const [a, b, c] = nets as [typeof nets[0], typeof nets[0], typeof nets[0]];
    return { hub, a, b, c };
  }

  it('addresses a node as mem:<id> and reports no DHT', async () => {
    const { a } = await trio();
    expect(a.addresses()).toEqual([`mem:${a.id}`]);
    expect(a.dhtStatus()).toBe('disabled');
  });

  it('refuses a second open network with the same key', () => {
    const hub = new MemoryNetworkHub();
    const pair = keyPair();
    hub.createNetwork({ keyPair: pair });
    expect(() => hub.createNetwork({ keyPair: pair })).toThrow(/already open/);
  });

  it('partition() closes connections across the cut and blocks dials until heal()', async () => {
    const { hub, a, b, c } = await trio();
    const ab = await a.dial(b.id, b.addresses());
    const ac = await a.dial(c.id, c.addresses());
    hub.partition([a.id], [b.id]);
    await within(closed(ab), 1_000, 'the cut connection closing');
    expect(ac.closed).toBe(false);
    await expect(a.dial(b.id, b.addresses())).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
    await expect(b.dial(a.id, a.addresses())).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
    hub.heal();
    const again = await b.dial(a.id, a.addresses());
    expect(again.remoteId).toBe(a.id);
  });

  it('disconnect() drops every connection of a node, which stays dialable', async () => {
    const { hub, a, b, c } = await trio();
    const logB = new NetworkLog(b);
    const ab = await a.dial(b.id, b.addresses());
    const cb = await c.dial(b.id, b.addresses());
    const ac = await a.dial(c.id, c.addresses());
    expect(hub.connectionCount()).toBe(3);
    hub.disconnect(b.id);
    await within(Promise.all([closed(ab), closed(cb)]), 1_000, 'b losing its connections');
    expect(ac.closed).toBe(false);
    expect(hub.connectionCount()).toBe(1);
    await a.dial(b.id, b.addresses());
    await logB.connectionFrom(a.id);
  });

  it('preserves write boundaries: each protomux message arrives whole', async () => {
    const { a, b } = await trio();
    const logB = new NetworkLog(b);
    const conn = await a.dial(b.id, b.addresses());
    const remote = await logB.connectionFrom(a.id);
    const near = testChannel(conn);
    const far = testChannel(remote);
    await Promise.all([near.opened, far.opened]);
    const big = 'x'.repeat(200_000);
    for (let i = 0; i < 20; i++) near.send(`${i}:${big}`);
    await waitFor(() => far.received.length === 20, 'twenty big messages');
    expect(far.received.map((text) => text.split(':')[0])).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });
});

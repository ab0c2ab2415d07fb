import { describe, expect, it } from 'vitest';
import { type MemoryNetwork, MemoryNetworkHub, MessageScheduler, mulberry32 } from '../../src/adapters/network-memory/index.js';
import { createStreamPair } from '../../src/adapters/network-memory/memory-stream.js';
import type { PeerConnection } from '../../src/ports/network.js';
import { describeNetworkPort, type NetworkNode } from '../ports/network-suite.js';
import { closed, keyPair, NetworkLog, strangerId, testChannel, waitFor, within } from '../ports/network-helpers.js';

// Fixed unless asked otherwise, so that a failure here replays; the seed is in the suite's name.
const SEED = Number(process.env.AGORA_SIM_SEED ?? 20240601);

// The port contract must hold whatever order the scheduler picks (no resets: the contract
// is about a reliable connection).
describeNetworkPort(`memory, scheduled (seed ${SEED})`, async (count) => {
  const hub = new MemoryNetworkHub({ scheduler: new MessageScheduler({ seed: SEED, maxBatch: 3 }) });
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

async function scheduledNodes(count: number, scheduler: MessageScheduler) {
  const hub = new MemoryNetworkHub({ scheduler });
  const nets = Array.from({ length: count }, () => hub.createNetwork({ keyPair: keyPair() }));
  for (const net of nets) {
    net.setFirewall(() => true);
    await net.start();
  }
  return { hub, nets, logs: nets.map((net) => new NetworkLog(net)) };
}

/** A connection from `from` to `to`, with an open test channel on both ends. */
async function channelPair(from: MemoryNetwork, to: MemoryNetwork, toLog: NetworkLog) {
  const conn = await from.dial(to.id, to.addresses());
  const remote = await toLog.connectionFrom(from.id);
  const near = testChannel(conn);
  const far = testChannel(remote);
  await within(Promise.all([near.opened, far.opened]), 5_000, 'opening the channel');
  return { conn, remote, near, far };
}

/** Writes `perLane` chunks into each direction of `pairs` stream pairs at once; returns arrival order. */
async function deliveryOrder(seed: number, pairs = 4, perLane = 10): Promise<string[]> {
  const scheduler = new MessageScheduler({ seed, maxBatch: 2 });
  const arrivals: string[] = [];
  for (let p = 0; p < pairs; p++) {
    const [a, b] = createStreamPair(scheduler);
    for (const end of [a, b]) end.on('data', (chunk: unknown) => void arrivals.push(String(chunk)));
    for (let i = 0; i < perLane; i++) {
      a.write(Buffer.from(`${p}>:${i}`));
      b.write(Buffer.from(`${p}<:${i}`));
    }
  }
  await waitFor(() => arrivals.length === pairs * 2 * perLane, 'every chunk');
  return arrivals;
}

describe('MessageScheduler', () => {
  it('mulberry32 repeats its sequence for a seed and stays in [0, 1)', () => {
    const draws = (seed: number) => Array.from({ length: 1_000 }, mulberry32(seed));
    expect(draws(7)).toEqual(draws(7));
    expect(draws(7)).not.toEqual(draws(8));
    expect(draws(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('refuses a seed that is not a uint32, such as a mistyped environment variable', () => {
    expect(() => new MessageScheduler({ seed: Number('abc') })).toThrow(/seed/);
    expect(() => new MessageScheduler({ seed: -1 })).toThrow(/seed/);
    expect(() => new MessageScheduler({ seed: 1, maxBatch: 0 })).toThrow(/maxBatch/);
    const seed = MessageScheduler.randomSeed();
    expect(new MessageScheduler({ seed }).seed).toBe(seed);
  });

  it('gives the same cross-stream order for the same seed, another for another seed, and keeps each direction in order', async () => {
    const first = await deliveryOrder(1);
    expect(await deliveryOrder(1)).toEqual(first);
    expect(await deliveryOrder(2)).not.toEqual(first);
    // Not simply one stream after another: the scheduler interleaves them.
    expect(first.slice(0, 10).map((label) => label.split(':')[0])).not.toEqual(Array(10).fill('0>'));
    for (const lane of new Set(first.map((label) => label.split(':')[0]))) {
      const seq = first.filter((label) => label.startsWith(`${lane}:`)).map((label) => Number(label.split(':')[1]));
      expect(seq).toEqual(Array.from({ length: 10 }, (_, i) => i));
    }
  });
});

describe('MemoryNetworkHub with a scheduler', () => {
  it('keeps per-connection order both ways, with big messages that fill a lane past its limit', async () => {
    const scheduler = new MessageScheduler({ seed: SEED, maxBatch: 4 });
    const { nets: [a, b, c], logs } = await scheduledNodes(3, scheduler);
    if (!a || !b || !c) throw new Error('three nodes');
    const links = [
      await channelPair(a, b, logs[1]!),
      await channelPair(a, c, logs[2]!),
      await channelPair(b, c, logs[2]!),
    ];
    const big = 'x'.repeat(300_000); // four of them pass the 1 MiB lane limit: the writer has to wait
    for (let i = 0; i < 40; i++) {
      for (const link of links) {
        link.near.send(i % 10 === 0 ? `${i}:${big}` : String(i));
        link.far.send(String(i));
      }
    }
    const all = links.flatMap((link) => [link.near, link.far]);
    await waitFor(() => all.every((end) => end.received.length === 40), 'every message', 15_000);
    for (const end of all) {
      expect(end.received.map((text) => Number(text.split(':')[0]))).toEqual(Array.from({ length: 40 }, (_, i) => i));
    }
    expect(scheduler.delivered).toBeGreaterThanOrEqual(240);
  });

  it('dropConnectionProbability=1 resets a connection at its first message, on both ends', async () => {
    const scheduler = new MessageScheduler({ seed: SEED, dropConnectionProbability: 1 });
    const { hub, nets: [a, b], logs } = await scheduledNodes(2, scheduler);
    if (!a || !b) throw new Error('two nodes');
    const conn: PeerConnection = await a.dial(b.id, b.addresses());
    const remote = await logs[1]!.connectionFrom(a.id);
    testChannel(conn); // its open message is the first chunk, and the last
    const [near, far] = await within(Promise.all([closed(conn), closed(remote)]), 5_000, 'the reset');
    expect(near?.message).toMatch(new RegExp(`reset by the message scheduler \\(seed ${SEED}\\)`));
    expect(far?.message).toMatch(/reset by the message scheduler/);
    expect(scheduler.resets).toBe(1);
    expect(scheduler.delivered).toBe(0);
    expect(hub.connectionCount()).toBe(0);
    // The nodes themselves are fine: a new connection is set up (and reset again).
    const again = await a.dial(b.id, b.addresses());
    expect(again.closed).toBe(false);
  });

  it('exposes its seed and a seeded stream for the test; randomPartition splits and cuts', async () => {
    expect(new MemoryNetworkHub().seed).toBeNull();
    expect(() => new MemoryNetworkHub().random()).toThrow(/scheduler/);

    const split = async (seed: number) => {
      const { hub, nets } = await scheduledNodes(5, new MessageScheduler({ seed }));
      expect(hub.seed).toBe(seed);
      const sides = hub.randomPartition();
      expect(sides[0].length).toBeGreaterThan(0);
      expect(sides[1].length).toBeGreaterThan(0);
      expect([...sides[0], ...sides[1]].sort()).toEqual(nets.map((net) => net.id).sort());
      const [x, y] = [nets.find((n) => n.id === sides[0][0])!, nets.find((n) => n.id === sides[1][0])!];
      await expect(x.dial(y.id, y.addresses())).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
      // As indexes, since ids are fresh keys on every run.
      return sides.map((side) => side.map((id) => nets.findIndex((net) => net.id === id)));
    };
    expect(await split(3)).toEqual(await split(3));
  });
});

import type NoiseSecretStream from '@hyperswarm/secret-stream';
import createTestnet, { type Testnet } from 'hyperdht/testnet.js';
import { createServer, type Server } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SwarmNetwork, type SwarmNetworkOptions } from '../../src/adapters/network-swarm/index.js';
import type { PeerConnection } from '../../src/ports/network.js';
import { describeNetworkPort, type NetworkFactory, type NetworkNode } from '../ports/network-suite.js';
import { closed, keyPair, NetworkLog, strangerId, waitFor, within } from '../ports/network-helpers.js';

const LOOPBACK = { host: '127.0.0.1', port: 0 };
const idOf = (options: { keyPair: { publicKey: Buffer } }): string => options.keyPair.publicKey.toString('hex');

/** A loopback port that was free a moment ago: connecting there is refused at once. */
async function deadAddress(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return `127.0.0.1:${address.port}`;
}

function swarmFactory(bootstrap: () => string[] | null): NetworkFactory {
  return async (count) => {
    const nodes: NetworkNode[] = [];
    for (let i = 0; i < count; i++) {
      const options: SwarmNetworkOptions = { keyPair: keyPair(), listen: LOOPBACK, bootstrap: bootstrap() };
      const network = new SwarmNetwork(options);
      await network.start();
      nodes.push({ network, id: idOf(options), addresses: network.addresses() });
    }
    return {
      nodes,
      transport: 'tcp',
      deadAddress,
      close: async () => {
        await Promise.all(nodes.map((node) => node.network.close()));
      },
    };
  };
}

function loopback(testnet: Testnet | null): string[] {
  if (testnet === null) throw new Error('testnet not started');
  return testnet.bootstrap.map(({ host, port }) => `${host}:${port}`);
}

describeNetworkPort('swarm, TCP only (DHT disabled)', swarmFactory(() => null));

describe('swarm with a local HyperDHT testnet', () => {
  let testnet: Testnet | null = null;
  beforeAll(async () => {
    testnet = await createTestnet(3);
  });
  afterAll(async () => {
    await testnet?.destroy();
  });

  describeNetworkPort('swarm, TCP + DHT testnet', swarmFactory(() => loopback(testnet)));

  describe('DHT connections', () => {
    const open: SwarmNetwork[] = [];
    afterEach(async () => {
      await Promise.all(open.splice(0).map((network) => network.close()));
    });

    async function node(): Promise<{ network: SwarmNetwork; id: string; log: NetworkLog }> {
      const options: SwarmNetworkOptions = {
        keyPair: keyPair(),
        listen: LOOPBACK,
        bootstrap: loopback(testnet),
        timeouts: { topicRecheckMs: 500 },
      };
      const network = new SwarmNetwork(options);
      open.push(network);
      network.setFirewall(() => true);
      const log = new NetworkLog(network);
      await network.start();
      return { network, id: idOf(options), log };
    }

    it('reports online once the testnet answers', async () => {
      const a = await node();
      await waitFor(() => a.network.dhtStatus() === 'online', 'online');
      expect(a.log.statuses).toEqual(['online']);
    });

    it('connects two nodes that join the same topic, over udx, with no address given', async () => {
      const [a, b] = [await node(), await node()];
      const topic = Buffer.alloc(32, 7);
      a.network.joinTopic(topic);
      b.network.joinTopic(topic);
      const [ab, ba] = await Promise.all([
        a.log.connectionFrom(b.id, 'a topic connection to b'),
        b.log.connectionFrom(a.id, 'a topic connection to a'),
      ]);
      expect(ab).toMatchObject({ remoteId: b.id, transport: 'udx', direct: true });
      expect(ba).toMatchObject({ remoteId: a.id, transport: 'udx', direct: true });
      // Both sides dial; hyperswarm keeps one connection per pair and closes the other.
    }, 20_000);

    /** Dials by key until the remote's announcement (made in the background by start()) is findable. */
    async function dialByKey(from: SwarmNetwork, remoteId: string): Promise<PeerConnection> {
      const deadline = Date.now() + 15_000;
      for (;;) {
        try {
          return await from.dial(remoteId, []);
        } catch (err) {
          if (Date.now() > deadline) throw err;
        }
      }
    }

    it('dials by key alone through the DHT', async () => {
      const [a, b] = [await node(), await node()];
      const conn = await dialByKey(a.network, b.id);
      expect(conn).toMatchObject({ remoteId: b.id, initiator: true, transport: 'udx' });
      const accepted = await b.log.connectionFrom(a.id);
      expect(accepted).toMatchObject({ initiator: false, transport: 'udx' });
      // The udx path is connected after the Noise handshake (which went through the DHT).
      await waitFor(() => conn.remoteAddress !== null, 'the udx remote address');
      expect(conn.remoteAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    }, 20_000);

    it('refuses DHT connections the firewall refuses, and asks again next time', async () => {
      const [a, b] = [await node(), await node()];
      // First make sure b's key is findable, so that the refusal below is the firewall's doing.
      const first = await dialByKey(a.network, b.id);
      await waitFor(() => b.log.connections.length === 1, 'b seeing the first connection');
      first.close();
      await within(closed(b.log.connections[0] as PeerConnection), 5_000, 'the first connection closing');

      let admit = false;
      b.network.setFirewall(() => admit);
      await expect(a.network.dial(b.id, [])).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
      expect(b.log.connections).toHaveLength(1);

      // Hyperswarm would ban a refused key for good; the adapter must not let it.
      admit = true;
      const topic = Buffer.alloc(32, 9);
      a.network.joinTopic(topic);
      b.network.joinTopic(topic);
      await b.log.connectionFrom(a.id, 'a topic connection once admitted');
    }, 20_000);
  });
});

describe('swarm with an unreachable bootstrap', () => {
  const open: SwarmNetwork[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((network) => network.close()));
  });

  it('starts at once, reports offline once, and TCP still works', async () => {
    const make = () => {
      const options: SwarmNetworkOptions = { keyPair: keyPair(), listen: LOOPBACK, bootstrap: ['127.0.0.1:1'] };
      const network = new SwarmNetwork(options);
      network.setFirewall(() => true);
      open.push(network);
      return { network, id: idOf(options), log: new NetworkLog(network) };
    };
    const [a, b] = [make(), make()];
    await within(Promise.all([a.network.start(), b.network.start()]), 1_000, 'start()');
    expect(a.network.dhtStatus()).toBe('offline');
    await waitFor(() => a.log.statuses.length > 0 && b.log.statuses.length > 0, 'a status verdict', 10_000);
    const conn = await a.network.dial(b.id, b.network.addresses());
    expect(conn.transport).toBe('tcp');
    await b.log.connectionFrom(a.id);
    expect(a.log.statuses).toEqual(['offline']);
    expect(b.log.statuses).toEqual(['offline']);
    const closing = a.network.close();
    await within(closing, 5_000, 'close()');
  }, 20_000);
});

describe('swarm TCP details', () => {
  const open: SwarmNetwork[] = [];
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((network) => network.close()));
    for (const server of servers.splice(0)) {
      server.emit('close');
      server.close();
    }
  });

  async function node(extra: Partial<SwarmNetworkOptions> = {}) {
    const options: SwarmNetworkOptions = { keyPair: keyPair(), listen: LOOPBACK, bootstrap: null, ...extra };
    const network = new SwarmNetwork(options);
    network.setFirewall(() => true);
    open.push(network);
    const log = new NetworkLog(network);
    await network.start();
    return { network, id: idOf(options), log };
  }

  it('lists every interface plus loopback when bound to the wildcard address', async () => {
    const a = await node({ listen: { host: '0.0.0.0', port: 0 } });
    const addresses = a.network.addresses();
    expect(addresses).toContain(`127.0.0.1:${(addresses[0] ?? '').split(':')[1]}`);
    expect(addresses.every((address) => /^\d+\.\d+\.\d+\.\d+:\d+$/.test(address))).toBe(true);
    expect(a.network.dhtStatus()).toBe('disabled');
  });

  it('says how each way failed: every address tried, with its reason', async () => {
    const a = await node();
    const [dead1, dead2] = [await deadAddress(), await deadAddress()];
    const err = await a.network.dial(strangerId(), [dead1, dead2, 'nowhere']).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PEER_UNREACHABLE' });
    const attempts = (err as { attempts: string[] }).attempts;
    expect(attempts).toHaveLength(3);
    expect(attempts.find((x) => x.startsWith(`${dead1}: `))).toBeDefined();
    expect(attempts.find((x) => x.startsWith(`${dead2}: `))).toBeDefined();
    expect(attempts).toContain('nowhere: not a host:port address');
  });

  it('aborts a dial stuck on a silent listener', async () => {
    const a = await node();
    const silent = createServer((socket) => silent.once('close', () => socket.destroy()));
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const controller = new AbortController();
    const dialling = a.network.dial(strangerId(), [`127.0.0.1:${address.port}`], controller.signal);
    setImmediate(() => controller.abort());
    await expect(within(dialling, 2_000, 'the aborted dial')).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('notices a peer that went silent (crash) within the idle timeout', async () => {
    const timeouts = { keepAliveMs: 100, idleMs: 500 };
    const [a, b] = [await node({ timeouts }), await node({ timeouts })];
    const conn = await a.network.dial(b.id, b.network.addresses());
    const remote = await b.log.connectionFrom(a.id);
    // Make b's end mute, as if its machine froze: no keep-alives, no idle check, no FIN.
    const stream = remote.mux.stream as unknown as NoiseSecretStream;
    stream.setKeepAlive(0);
    stream.setTimeout(0);
    const reason = await within(closed(conn), 5_000, 'the idle timeout');
    expect(reason).not.toBeNull();
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { NetworkPort, PeerConnection, Transport } from '../../src/ports/network.js';
import { closed, NetworkLog, strangerId, testChannel, waitFor, within } from './network-helpers.js';

export interface NetworkNode {
  network: NetworkPort;
  /** Device id (hex public key). */
  id: string;
  /** Where the others can dial it. */
  addresses: string[];
}

export interface NetworkFixture {
  /** Started networks that can reach each other by address. */
  nodes: NetworkNode[];
  /** An address of the adapter's kind where nothing listens. */
  deadAddress(): Promise<string>;
  /** The transport of a connection dialled by address. */
  transport: Transport;
  /** Closes everything the factory created. */
  close(): Promise<void>;
}

export type NetworkFactory = (count: number) => Promise<NetworkFixture>;

/**
 * The contract every NetworkPort adapter must meet. The factory gives N started networks
 * that can reach each other; firewalls are set here.
 */
export function describeNetworkPort(name: string, factory: NetworkFactory): void {
  describe(`NetworkPort contract: ${name}`, () => {
    let fixture: NetworkFixture | null = null;

    afterEach(async () => {
      await fixture?.close();
      fixture = null;
    });

    async function setup(count: number): Promise<{ nodes: NetworkNode[]; logs: NetworkLog[]; fx: NetworkFixture }> {
      fixture = await factory(count);
      const logs = fixture.nodes.map((node) => new NetworkLog(node.network));
      for (const node of fixture.nodes) node.network.setFirewall(() => true);
      return { nodes: fixture.nodes, logs, fx: fixture };
    }

    function pick<T>(list: T[], index: number): T {
      const item = list[index];
      if (item === undefined) throw new Error(`fixture has no item ${index}`);
      return item;
    }

    async function connect(count = 2) {
      const { nodes, logs, fx } = await setup(count);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      const dialled = await a.network.dial(b.id, b.addresses);
      const accepted = await pick(logs, 1).connectionFrom(a.id);
      return { nodes, logs, fx, a, b, dialled, accepted };
    }

    it('dials by address; both sides see the connection with the right id and role', async () => {
      const { logs, fx, a, b, dialled, accepted } = await connect();
      expect(dialled).toMatchObject({ remoteId: b.id, initiator: true, transport: fx.transport, closed: false });
      expect(accepted).toMatchObject({ remoteId: a.id, initiator: false, transport: fx.transport, closed: false });
      expect(typeof dialled.direct).toBe('boolean');
      expect(pick(logs, 0).connections).toEqual([dialled]);
      expect(pick(logs, 1).connections).toEqual([accepted]);
    });

    it('carries protomux messages both ways', async () => {
      const { dialled, accepted } = await connect();
      const near = testChannel(dialled);
      const far = testChannel(accepted);
      await within(Promise.all([near.opened, far.opened]), 5_000, 'opening the channel');
      near.send('ping');
      await waitFor(() => far.received.length === 1, 'ping');
      far.send('pong');
      await waitFor(() => near.received.length === 1, 'pong');
      expect(far.received).toEqual(['ping']);
      expect(near.received).toEqual(['pong']);
    });

    it('refuses an address that answers with another key', async () => {
      const { nodes, logs } = await setup(2);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      await expect(a.network.dial(strangerId(), b.addresses)).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
      expect(pick(logs, 0).connections).toEqual([]);
    });

    it('gives a dialer its firewall refused nothing, and the refusing side sees nothing', async () => {
      const { nodes, logs } = await setup(3);
      const [a, b, c] = [pick(nodes, 0), pick(nodes, 1), pick(nodes, 2)];
      b.network.setFirewall((remoteId) => remoteId !== a.id);
      await expect(a.network.dial(b.id, b.addresses)).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
      // A later admitted connection is the barrier: anything from A would have arrived before it.
      const fromC = await c.network.dial(b.id, b.addresses);
      await pick(logs, 1).connectionFrom(c.id);
      expect(fromC.remoteId).toBe(b.id);
      expect(pick(logs, 0).connections).toEqual([]);
      expect(pick(logs, 1).connections.map((conn) => conn.remoteId)).toEqual([c.id]);
    });

    it('asks the firewall again on every connection', async () => {
      const { nodes, logs } = await setup(2);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      let open = false;
      b.network.setFirewall(() => open);
      await expect(a.network.dial(b.id, b.addresses)).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
      open = true;
      await a.network.dial(b.id, b.addresses);
      await pick(logs, 1).connectionFrom(a.id);
    });

    it('fires onClose on the other side when one side closes the connection', async () => {
      const { dialled, accepted } = await connect();
      const remoteClosed = closed(accepted);
      dialled.close();
      expect(dialled.closed).toBe(true);
      await within(remoteClosed, 5_000, 'the remote close');
      expect(accepted.closed).toBe(true);
      // Registered after the fact: still called, once.
      let calls = 0;
      await new Promise<void>((resolve) => {
        accepted.onClose(() => {
          calls += 1;
          resolve();
        });
      });
      expect(calls).toBe(1);
      dialled.close();
    });

    it('fires onClose on the other side when a whole network closes', async () => {
      const { a, dialled, accepted } = await connect();
      const dialledClosed = closed(dialled);
      await a.network.close();
      await within(Promise.all([dialledClosed, closed(accepted)]), 5_000, 'both ends closing');
      await a.network.close(); // idempotent
    });

    it('rejects promptly when nothing listens at the address', async () => {
      const { nodes, fx } = await setup(2);
      const a = pick(nodes, 0);
      const dead = await fx.deadAddress();
      await expect(within(a.network.dial(strangerId(), [dead]), 15_000, 'the dial')).rejects.toMatchObject({
        code: 'PEER_UNREACHABLE',
      });
    });

    it('tries the next address when one fails', async () => {
      const { nodes, logs, fx } = await setup(2);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      const conn = await a.network.dial(b.id, [await fx.deadAddress(), 'not an address', ...b.addresses]);
      expect(conn.remoteId).toBe(b.id);
      await pick(logs, 1).connectionFrom(a.id);
    });

    it('cancels a dial with an abort signal', async () => {
      const { nodes, logs } = await setup(2);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      const before = new AbortController();
      before.abort();
      await expect(a.network.dial(b.id, b.addresses, before.signal)).rejects.toMatchObject({ code: 'ABORTED' });

      const during = new AbortController();
      const dialling = a.network.dial(b.id, b.addresses, during.signal);
      during.abort();
      await expect(dialling).rejects.toMatchObject({ code: 'ABORTED' });

      // Barrier: a dial that goes through shows that nothing was left over from the aborted ones.
      const conn: PeerConnection = await a.network.dial(b.id, b.addresses);
      await pick(logs, 1).connectionFrom(a.id);
      expect(pick(logs, 0).connections).toEqual([conn]);
      expect(pick(logs, 1).connections).toHaveLength(1);
    });

    it('rejects dials after close()', async () => {
      const { nodes } = await setup(2);
      const [a, b] = [pick(nodes, 0), pick(nodes, 1)];
      await a.network.close();
      await expect(a.network.dial(b.id, b.addresses)).rejects.toMatchObject({ code: 'PEER_UNREACHABLE' });
    });
  });
}

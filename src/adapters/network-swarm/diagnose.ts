import type HyperDHT from 'hyperdht';
import { throwIfAborted } from '../../errors/index.js';
import type { DhtStatus, KeeperContact, NetworkDiagnosis } from '../../ports/network.js';
import { formatHostPort, parseHostPort } from './addresses.js';

const PING_TIMEOUT_MS = 3_000;

/**
 * What the DHT tells about this node's network: hyperdht learns our public address from
 * the nodes that answer us, whether unsolicited packets reach us (`firewalled`), and whether
 * our NAT gives each destination another port (`randomized`, a symmetric NAT).
 */
export async function diagnose(input: {
  dht: HyperDHT | null;
  status: DhtStatus;
  keepers: readonly KeeperContact[];
  mdns: boolean;
  relayServing: boolean;
  signal?: AbortSignal | undefined;
}): Promise<NetworkDiagnosis> {
  throwIfAborted(input.signal);
  const { dht } = input;
  const keepers = await Promise.all(
    input.keepers.flatMap((k) => k.dht.map(async (address) => ({ deviceId: k.deviceId, address, ...(await ping(dht, address)) }))),
  );
  throwIfAborted(input.signal);
  const host = dht?.host ?? null;
  return {
    dht: input.status,
    dhtNodes: dht?.nodes.length ?? 0,
    nat: natType(dht),
    publicAddress: host === null || dht === null ? null : formatHostPort(host, dht.port),
    keepers,
    mdns: input.mdns,
    relayServing: input.relayServing,
  };
}

function natType(dht: HyperDHT | null): NetworkDiagnosis['nat'] {
  if (dht === null || dht.destroyed || dht.host === null) return 'unknown';
  if (!dht.firewalled) return 'open';
  if (dht.randomized) return 'symmetric';
  return 'cone';
}

async function ping(dht: HyperDHT | null, address: string): Promise<{ reachable: boolean; rttMs: number | null }> {
  const node = parseHostPort(address);
  if (dht === null || dht.destroyed || node === null) return { reachable: false, rttMs: null };
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), PING_TIMEOUT_MS);
  });
  try {
    await Promise.race([dht.ping(node), timeout]);
    return { reachable: true, rttMs: Math.round(performance.now() - started) };
  } catch {
    return { reachable: false, rttMs: null };
  } finally {
    clearTimeout(timer);
  }
}

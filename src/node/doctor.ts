import type { PeerInfo } from '../core/peers/peer-manager.js';
import type { DhtStatus, KeeperOffer, NetworkDiagnosis } from '../ports/network.js';

/** What `agora doctor` shows (the API's DoctorReport). */
export interface DoctorReport {
  deviceId: string;
  listen: string[];
  dht: DhtStatus;
  dhtNodes: number;
  dhtReachable: boolean;
  nat: NetworkDiagnosis['nat'];
  publicAddress: string | null;
  keepers: { deviceId: string; name: string; address: string; reachable: boolean; connected: boolean; rttMs: number | null }[];
  keeperReachable: boolean | null;
  mdns: boolean;
  keeper: KeeperOffer | null;
  peers: { connected: number; direct: number; relayed: number };
  advice: string[];
}

/**
 * `agora doctor`: the network as this node sees it, in words a user can act on. The facts
 * come from the network adapter (DHT, NAT, keeper pings) and the live connections.
 */
export function doctorReport(input: {
  deviceId: string;
  listen: string[];
  diagnosis: NetworkDiagnosis;
  keeperOffer: KeeperOffer | null;
  peers: PeerInfo[];
  keeperName: (deviceId: string) => string;
}): DoctorReport {
  const { diagnosis: d, peers } = input;
  const connected = peers.filter((p) => p.connected);
  const keepers = d.keepers.map((k) => ({
    deviceId: k.deviceId,
    name: input.keeperName(k.deviceId),
    address: k.address,
    reachable: k.reachable,
    connected: connected.some((p) => p.deviceId === k.deviceId),
    rttMs: k.rttMs,
  }));
  const keeperReachable = keepers.length === 0 ? null : keepers.some((k) => k.reachable || k.connected);
  const report: Omit<DoctorReport, 'advice'> = {
    deviceId: input.deviceId,
    listen: input.listen,
    dht: d.dht,
    dhtNodes: d.dhtNodes,
    dhtReachable: d.dht === 'online',
    nat: d.nat,
    publicAddress: d.publicAddress,
    keepers,
    keeperReachable,
    mdns: d.mdns,
    keeper: input.keeperOffer,
    peers: {
      connected: connected.length,
      direct: connected.filter((p) => p.direct).length,
      relayed: connected.filter((p) => !p.direct).length,
    },
  };
  return { ...report, advice: advise(report) };
}

function advise(r: Omit<DoctorReport, 'advice'>): string[] {
  const advice: string[] = [];
  if (r.keeper !== null) {
    advice.push(
      r.dhtReachable
        ? `This node is a keeper: members bootstrap from its DHT node at ${r.keeper.dht.join(', ')} and relay through it when no direct path opens.`
        : `This node is a keeper and knows no other DHT node: members use its own (${r.keeper.dht.join(', ')}) as their bootstrap, which is enough for the spaces it keeps. Make sure UDP port ${r.keeper.dht[0]?.split(':').pop() ?? '?'} and TCP port ${r.keeper.tcp[0]?.split(':').pop() ?? '?'} are open to the internet.`,
    );
  } else if (r.dht === 'disabled') {
    advice.push('The DHT is off (--no-dht): only direct addresses, invites and the LAN connect. Start without --no-dht to reach members behind other routers.');
  } else if (!r.dhtReachable) {
    advice.push(
      r.keepers.length === 0
        ? 'No DHT node answers: this network may block UDP or have no internet. Members on this LAN still connect (mDNS, invite addresses); for the rest, add a keeper to your spaces (agora keeper, then an invite of role keeper) or give --bootstrap HOST:PORT.'
        : 'No DHT node answers, not even the keepers: check that this computer has internet and that outgoing UDP is allowed.',
    );
  }
  for (const k of r.keepers) {
    if (!k.reachable && !k.connected) advice.push(`Keeper ${k.name || k.deviceId.slice(0, 12)} does not answer at ${k.address}: is it running, and is UDP port ${k.address.split(':').pop()} open on its firewall?`);
  }
  if (r.nat === 'symmetric') {
    advice.push(
      r.keeperReachable
        ? 'Your router gives every connection a new port (symmetric NAT): members behind a similar router are reached through the keeper\'s relay, end-to-end encrypted.'
        : 'Your router gives every connection a new port (symmetric NAT): members behind a similar router cannot be reached directly. Add a keeper to your spaces to relay those connections, or forward a TCP port to this computer and start with --listen 0.0.0.0:PORT.',
    );
  } else if (r.nat === 'cone') {
    advice.push('Behind a router that keeps ports (cone NAT): direct connections by hole punching work with most members.');
  } else if (r.nat === 'open' && r.keeper === null) {
    advice.push('This computer is reachable directly from the internet.');
  }
  if (r.peers.relayed > 0) advice.push(`${r.peers.relayed} peer(s) are connected through a relay; Agora switches to a direct path by itself when one opens.`);
  if (r.keeper === null && r.dhtReachable && r.nat !== 'symmetric' && r.keeperReachable !== false && r.peers.relayed === 0) {
    advice.push('Nothing to fix: this node can reach and be reached by other members.');
  }
  return advice;
}

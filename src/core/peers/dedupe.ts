import type { PeerConnection, Transport } from '../../ports/network.js';

const transportRank: Record<Transport, number> = { tcp: 0, memory: 0, udx: 1, relay: 2 };

/**
 * Of two connections to the same peer, the one both ends keep: the faster transport, then
 * the one opened by the device with the smaller id. Both ends compute the same answer from
 * the same two connections, so they never each close a different one.
 */
export function preferredConnection(selfId: string, a: PeerConnection, b: PeerConnection): PeerConnection {
  const rank = transportRank[a.transport] - transportRank[b.transport];
  if (rank !== 0) return rank < 0 ? a : b;
  const opener = (c: PeerConnection) => (c.initiator ? selfId : c.remoteId);
  const oa = opener(a);
  const ob = opener(b);
  if (oa !== ob) return oa < ob ? a : b;
  return a; // same opener twice: keep the older one
}

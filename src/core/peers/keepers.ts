import type { Logger } from '../../ports/logger.js';
import type { KeeperContact, KeeperOffer } from '../../ports/network.js';
import type { InviteKeeper } from '../../protocol/index.js';
import type { SpaceService } from '../spaces/space-service.js';
import type { KeeperEndpoint } from '../spaces/space-state.js';

/** At most this many keepers travel in an invite (each is a bootstrap and a relay). */
export const MAX_INVITE_KEEPERS = 4;

/** The keepers of every space this device is active in, each once (its latest endpoint per space wins, merged). */
export function keepersOfSpaces(spaces: SpaceService): KeeperEndpoint[] {
  const byId = new Map<string, KeeperEndpoint>();
  for (const space of spaces.list()) {
    const state = spaces.state(space.spaceId);
    if (!state.isActive(spaces.selfId)) continue;
    for (const k of state.keepers()) {
      const known = byId.get(k.keeperId);
      byId.set(
        k.keeperId,
        known === undefined
          ? { ...k, dht: [...k.dht], tcp: [...k.tcp] }
          : { ...known, dht: union(known.dht, k.dht), tcp: union(known.tcp, k.tcp) },
      );
    }
  }
  return [...byId.values()];
}

export function toContact(k: KeeperEndpoint): KeeperContact {
  return { deviceId: k.keeperId, dht: k.dht, relay: k.relay };
}

export function inviteKeepers(spaces: SpaceService, spaceId: string): InviteKeeper[] {
  return spaces
    .state(spaceId)
    .keepers()
    .slice(0, MAX_INVITE_KEEPERS)
    .map((k) => ({ id: k.keeperId, dht: k.dht, tcp: k.tcp, relay: k.relay }));
}

/**
 * A keeper says in every space it keeps where members reach it, and says it again when that
 * changes (a new public address, another port). Idempotent: nothing is written when the
 * log already says the same.
 */
export function publishKeeperEndpoint(spaces: SpaceService, offer: KeeperOffer | null, logger: Logger): void {
  if (offer === null) return;
  for (const space of spaces.list()) {
    const state = spaces.state(space.spaceId);
    if (state.roleOf(spaces.selfId) !== 'keeper') continue;
    const current = state.keeperEndpoints.get(spaces.selfId);
    if (current && current.relay === offer.relay && sameStrings(current.dht, offer.dht) && sameStrings(current.tcp, offer.tcp)) continue;
    try {
      spaces.append(space.spaceId, { type: 'keeper.endpoint', dht: offer.dht.slice(0, 8), tcp: offer.tcp.slice(0, 8), relay: offer.relay });
      logger.info({ spaceId: space.spaceId.slice(0, 12), dht: offer.dht, tcp: offer.tcp }, 'keeper: announced where members reach it');
    } catch (err) {
      logger.warn({ err, spaceId: space.spaceId.slice(0, 12) }, 'keeper: could not announce its endpoint');
    }
  }
}

function union(a: readonly string[], b: readonly string[]): string[] {
  return [...new Set([...a, ...b])];
}

/** Same strings in the same order. */
export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

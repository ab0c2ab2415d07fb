import { BadRequestError, NotFoundError, PeerUnreachableError } from '../../errors/index.js';
import { inviteLink, type Access, type Role } from '../../protocol/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { KeyPair, NetworkPort, PeerConnection } from '../../ports/network.js';
import type { SpaceRecord, Store } from '../../ports/store.js';
import { randomHex } from '../crypto.js';
import { inviteKeepers } from '../peers/keepers.js';
import type { PeerManager, StrangerHandler } from '../peers/peer-manager.js';
import type { SpaceService } from '../spaces/space-service.js';
import type { SpaceState } from '../spaces/space-state.js';
import { issueInvite, readInvite } from './invite-codes.js';
import { InviteHost } from './invite-host.js';
import { requestJoin } from './join.js';

export interface CreatedInvite {
  inviteId: string;
  code: string;
  link: string;
  role: Role;
  expiresAt: number;
  uses: number;
}

export const MAX_INVITE_USES = 1000;
export const MAX_INVITE_LIFETIME_MS = 365 * 24 * 3600_000;

/** Issuing invites, admitting their holders, and joining with one. */
export class InviteService implements StrangerHandler {
  private readonly host: InviteHost;

  constructor(
    private readonly deps: {
      store: Store;
      spaces: SpaceService;
      peers: PeerManager;
      network: NetworkPort;
      clock: Clock;
      logger: Logger;
      keyPair: KeyPair;
      selfName: () => string;
    },
  ) {
    this.host = new InviteHost(deps);
  }

  create(spaceId: string, options: { role: Role; expiresInMs: number; uses: number; grants?: { folderId: string; access: Access }[] }): CreatedInvite {
    const { spaces, store, clock, keyPair, network } = this.deps;
    spaces.requireAdmin(spaceId);
    if (!Number.isInteger(options.uses) || options.uses < 1 || options.uses > MAX_INVITE_USES) {
      throw new BadRequestError(`uses must be a whole number from 1 to ${MAX_INVITE_USES}`);
    }
    if (!(options.expiresInMs > 0) || options.expiresInMs > MAX_INVITE_LIFETIME_MS) {
      throw new BadRequestError('an invite must expire within a year');
    }
    if (options.role === 'keeper' && (options.grants ?? []).length > 0) {
      throw new BadRequestError('A keeper gets no folder grants: it relays and stores for the space, it does not read its folders.');
    }
    const space = spaces.list().find((s) => s.spaceId === spaceId)!;
    const grants = checkGrants(spaces.state(spaceId), options.grants ?? []);
    const now = clock.now();
    const expiresAt = now + options.expiresInMs;
    const inviteId = randomHex(16);
    const { code } = issueInvite(keyPair, {
      spaceId,
      spaceName: space.name,
      inviteId,
      inviter: spaces.selfId,
      inviterName: this.deps.selfName(),
      role: options.role,
      expiresAt,
      maxUses: options.uses,
      addresses: network.addresses().slice(0, 16),
      keepers: inviteKeepers(spaces, spaceId),
    });
    store.invites.put({ inviteId, spaceId, role: options.role, createdAt: now, expiresAt, maxUses: options.uses, code, revoked: false, grants });
    return { inviteId, code, link: inviteLink(code), role: options.role, expiresAt, uses: options.uses };
  }

  acceptsStrangers(): boolean {
    return this.host.acceptsStrangers();
  }

  attach(conn: PeerConnection): void {
    this.host.attach(conn, true);
  }

  /** Members may also bring a new device of theirs through an existing connection. */
  attachToMember(conn: PeerConnection): void {
    this.host.attach(conn, false);
  }

  /** Joins the space of an invite code: reaches the inviter, presents the code, stores the space. */
  async join(code: string, dirFor: (spaceName: string) => string, signal?: AbortSignal): Promise<SpaceRecord> {
    const { spaces, peers, network, clock, store, logger } = this.deps;
    const invite = readInvite(code, clock.now());
    const { offer } = invite;
    if (offer.inviter === spaces.selfId) throw new BadRequestError('This is your own invite; give it to the person you want to invite.');
    if (spaces.has(offer.spaceId) && spaces.state(offer.spaceId).isActive(spaces.selfId)) {
      return spaces.list().find((s) => s.spaceId === offer.spaceId)!;
    }
    // The space's keepers: bootstrap and relay to reach an inviter behind a router.
    await peers.useInviteKeepers(offer.keepers.map((k) => ({ deviceId: k.id, dht: k.dht, relay: k.relay })));
    const release = peers.expectJoinTarget(offer.inviter);
    let conn: PeerConnection | null = null;
    try {
      conn = await network.dial(offer.inviter, offer.addresses, signal).catch((err: unknown) => {
        // How each way failed, where the network says: a refused address reads differently from a timed-out DHT lookup.
        const attempts = err instanceof PeerUnreachableError && err.attempts.length > 0 ? err.attempts : null;
        throw new PeerUnreachableError(
          `Could not reach ${offer.inviterName}'s Agora (${attempts ? attempts.join('; ') : `tried ${offer.addresses.join(', ') || 'the DHT'}`}). ` +
            'Their node must be running and reachable; try again, or ask for a new invite if their address changed.',
          err,
          attempts ?? [],
        );
      });
      const answer = await requestJoin(conn, invite, this.deps.selfName(), signal);
      const record: SpaceRecord = { spaceId: offer.spaceId, name: offer.spaceName, dir: dirFor(offer.spaceName), secret: answer.spaceSecret, joinedAt: clock.now() };
      spaces.adopt(record, answer.entries, answer.stubs);
      // A guest may not know members' names (see SpaceState.mayKnowName): the invite showed it, the store does not keep it.
      const inviterName = offer.role === 'admin' || offer.role === 'member' ? offer.inviterName : '';
      store.peers.upsert({ deviceId: offer.inviter, name: inviterName, addresses: offer.addresses, lastSeen: clock.now() });
      logger.info({ spaceId: offer.spaceId, inviter: offer.inviter.slice(0, 12) }, 'joined space');
      return spaces.list().find((s) => s.spaceId === offer.spaceId)!;
    } finally {
      release();
      // Joined, the log names the keepers; not joined, the invite's keepers are no business of ours.
      void peers.useInviteKeepers([]);
      // The invite connection served its purpose; the member connection is dialled afresh.
      if (conn && !peers.ownsConnection(conn)) conn.close();
      peers.connectSoon(offer.inviter);
    }
  }
}

/** Grants an invite may carry: active folders of the space, one grant per folder. */
function checkGrants(state: SpaceState, grants: { folderId: string; access: Access }[]): { folderId: string; access: Access }[] {
  const seen = new Set<string>();
  for (const g of grants) {
    if (!state.folders.get(g.folderId)?.active) throw new NotFoundError(`No folder ${g.folderId.slice(0, 12)} in this space; see the folders with: agora folder list`);
    if (seen.has(g.folderId)) throw new BadRequestError('each folder can be granted only once per invite');
    seen.add(g.folderId);
  }
  return grants.map((g) => ({ folderId: g.folderId, access: g.access }));
}

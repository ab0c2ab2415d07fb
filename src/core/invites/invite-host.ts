import type { Channel } from 'protomux';
import { InviteError } from '../../errors/index.js';
import {
  displayName,
  entryList,
  joinAccepted,
  joinRejected,
  joinRequest,
  stubList,
  PROTOCOLS,
  type JoinRequest,
} from '../../protocol/index.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { PeerConnection } from '../../ports/network.js';
import type { Store } from '../../ports/store.js';
import type { SpaceService } from '../spaces/space-service.js';
import { readInvite, secretHash } from './invite-codes.js';

/** A stranger that opens no invite channel in this time is dropped. */
export const STRANGER_TIMEOUT_MS = 10_000;
/** Strangers are admitted while an invite is live, and this long after, to be told it expired. */
const EXPIRED_GRACE_MS = 7 * 24 * 3600_000;
/** A spent invite admits strangers this long after its last use, to tell a latecomer it is spent. */
export const SPENT_GRACE_MS = 24 * 3600_000;

/**
 * The inviter's side of the invite protocol (`agora/invite/2`, channel id = invite id).
 * Only a peer that names an invite this device issued gets a channel at all; it must then
 * prove it holds the code (the secret) before anything about the space is sent.
 */
export class InviteHost {
  constructor(
    private readonly deps: { store: Store; spaces: SpaceService; clock: Clock; logger: Logger },
  ) {}

  /**
   * Whether any invite of ours may still be presented: not revoked, and not expired, or expired
   * less than a week ago; a spent one only for a day after its last use. Otherwise the firewall
   * refuses every stranger outright.
   */
  acceptsStrangers(): boolean {
    const now = this.deps.clock.now();
    return this.deps.spaces.list().some((s) => {
      const state = this.deps.spaces.state(s.spaceId);
      return this.deps.store.invites.list(s.spaceId).some((i) => {
        if (i.revoked) return false;
        const spent = (state.inviteUses.get(i.inviteId) ?? 0) >= i.maxUses;
        const until = spent ? Math.min(i.expiresAt, state.inviteLastUse.get(i.inviteId) ?? i.expiresAt) + SPENT_GRACE_MS : i.expiresAt + EXPIRED_GRACE_MS;
        return until > now;
      });
    });
  }

  /** Serves the invite protocol on a connection; a stranger's connection is closed after one join attempt or a timeout. */
  attach(conn: PeerConnection, stranger = true): void {
    let opened = false;
    const timer = stranger
      ? this.deps.clock.setTimeout(() => {
          if (!opened) conn.close(new Error('no invite presented'));
        }, STRANGER_TIMEOUT_MS)
      : null;
    conn.onClose(() => timer?.cancel());
    if (stranger) {
      // A stranger that tries any protocol but the invite one is not a joiner: drop it now.
      for (const protocol of [PROTOCOLS.control, PROTOCOLS.log]) {
        conn.mux.pair({ protocol }, () => conn.close(new Error(`stranger opened ${protocol}`)));
      }
    }
    conn.mux.pair({ protocol: PROTOCOLS.invite }, (id) => {
      const inviteId = id?.toString('hex') ?? '';
      const record = this.deps.store.invites.get(inviteId);
      if (!record || !this.deps.spaces.has(record.spaceId)) return; // unknown invite: no channel
      opened = true;
      this.serve(conn, inviteId);
    });
  }

  private serve(conn: PeerConnection, inviteId: string): void {
    let channel: Channel | null = null;
    channel = conn.mux.createChannel({
      protocol: PROTOCOLS.invite,
      id: Buffer.from(inviteId, 'hex'),
      messages: [
        { encoding: joinRequest, onmessage: (req: JoinRequest) => this.onRequest(conn, channel!, inviteId, req) },
        { encoding: joinAccepted },
        { encoding: joinRejected },
        { encoding: entryList },
        { encoding: stubList },
      ],
    });
    channel?.open();
  }

  private onRequest(conn: PeerConnection, channel: Channel, inviteId: string, req: JoinRequest): void {
    const [, accepted, rejected, entries, stubs] = channel.messages;
    try {
      const spaceId = this.admit(conn.remoteId, inviteId, req);
      const space = this.deps.spaces.list().find((s) => s.spaceId === spaceId)!;
      // A guest gets its part of the log, the rest as stubs (see guest-view.ts).
      const all = new Set(this.deps.spaces.entries(spaceId).map((e) => e.id));
      const log = this.deps.spaces.logFor(spaceId, conn.remoteId, all);
      let entryCount = 0;
      let stubCount = 0;
      for (const batch of log) {
        if ('entries' in batch) entryCount += batch.entries.length;
        else stubCount += batch.stubs.length;
      }
      channel.cork();
      accepted!.send({ spaceSecret: space.secret, entryCount, stubCount });
      for (const batch of log) {
        if ('entries' in batch) entries!.send(batch.entries);
        else stubs!.send(batch.stubs);
      }
      channel.uncork();
    } catch (err) {
      const e = err instanceof InviteError ? err : new InviteError('INVITE_INVALID', 'The inviter could not admit you.');
      this.deps.logger.info({ peer: conn.remoteId.slice(0, 12), code: e.code }, 'join refused');
      rejected!.send({ code: e.code, message: e.message });
    }
  }

  /** Checks the request against the invite and the log; adds the member. Returns the space id. */
  private admit(joiner: string, inviteId: string, req: JoinRequest): string {
    const now = this.deps.clock.now();
    const record = this.deps.store.invites.get(inviteId)!;
    const invite = (() => {
      try {
        return readInvite(record.code, 0);
      } catch {
        throw new InviteError('INVITE_INVALID', 'This invite is no longer valid. Ask for a new one.');
      }
    })();
    if (!secretHash(req.secret).equals(invite.offer.secretHash)) {
      throw new InviteError('INVITE_INVALID', 'This invite code is not genuine. Ask for a new invite.');
    }
    const state = this.deps.spaces.state(record.spaceId);
    if (state.isActive(joiner)) return record.spaceId; // joining twice is harmless
    if (record.revoked) throw new InviteError('INVITE_REVOKED', `This invite to "${state.name}" was withdrawn. Ask for a new one.`);
    if (record.expiresAt <= now) {
      throw new InviteError('INVITE_EXPIRED', `This invite to "${state.name}" expired on ${new Date(record.expiresAt).toISOString()}. Ask for a new one.`);
    }
    if ((state.inviteUses.get(inviteId) ?? 0) >= record.maxUses) {
      const uses = record.maxUses === 1 ? 'once' : `${record.maxUses} times`;
      throw new InviteError('INVITE_SPENT', `This invite to "${state.name}" has already been used ${uses}. Ask for a new one.`);
    }
    if (state.roleOf(this.deps.spaces.selfId) !== 'admin') {
      throw new InviteError('INVITE_REVOKED', 'The inviter is no longer an admin of this space, so the invite is void. Ask an admin for a new one.');
    }
    const name = displayName.safeParse(req.name.trim()).success ? req.name.trim() : 'New member';
    const spaces = this.deps.spaces;
    spaces.append(record.spaceId, { type: 'member.add', member: joiner, name: spaces.commitName(record.spaceId, name), role: record.role, invite: inviteId });
    for (const g of record.grants) {
      // A folder removed since the invite was made is skipped; the rest still apply.
      if (!spaces.state(record.spaceId).folders.get(g.folderId)?.active) continue;
      spaces.append(record.spaceId, { type: 'folder.grant', folder: g.folderId, to: joiner, access: g.access });
    }
    return record.spaceId;
  }
}

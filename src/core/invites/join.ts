import { AgoraError, InviteError, isErrorCode, PeerUnreachableError, TimeoutError } from '../../errors/index.js';
import {
  entryList,
  joinAccepted,
  joinRejected,
  joinRequest,
  PROTOCOLS,
  type Invite,
  type JoinAccepted,
  type JoinRejected,
  type LogStub,
  type SignedEntry,
  stubList,
} from '../../protocol/index.js';
import type { PeerConnection } from '../../ports/network.js';

export const JOIN_TIMEOUT_MS = 20_000;

export interface JoinAnswer {
  spaceSecret: Buffer;
  entries: SignedEntry[];
  /** A guest's stand-ins for the entries it may not see (see core/spaces/guest-view.ts). */
  stubs: LogStub[];
}

/**
 * The joiner's side of the invite protocol on an open connection to the inviter: present
 * the secret and a display name, then receive the space secret and its log, or a refusal.
 */
export function requestJoin(conn: PeerConnection, invite: Invite, name: string, signal?: AbortSignal): Promise<JoinAnswer> {
  return new Promise<JoinAnswer>((resolve, reject) => {
    let accepted: JoinAccepted | null = null;
    const entries: SignedEntry[] = [];
    const stubs: LogStub[] = [];
    let settled = false;
    const finish = (err: Error | null, answer?: JoinAnswer) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      channel?.close();
      if (err) reject(err);
      else resolve(answer!);
    };
    const onAbort = () => finish(new AgoraError('ABORTED', 'Joining was cancelled.'));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(
      () => finish(new TimeoutError(`${invite.offer.inviterName} did not answer the invite in time. Try again while their Agora is running.`)),
      JOIN_TIMEOUT_MS,
    );
    const maybeDone = () => {
      if (!accepted) return;
      if (entries.length > accepted.entryCount || stubs.length > accepted.stubCount) {
        finish(new InviteError('INVITE_INVALID', 'The inviter sent more log entries than announced.'));
      } else if (entries.length === accepted.entryCount && stubs.length === accepted.stubCount) {
        finish(null, { spaceSecret: accepted.spaceSecret, entries, stubs });
      }
    };
    const channel = conn.mux.createChannel({
      protocol: PROTOCOLS.invite,
      id: Buffer.from(invite.offer.inviteId, 'hex'),
      messages: [
        { encoding: joinRequest },
        {
          encoding: joinAccepted,
          onmessage: (m: JoinAccepted) => {
            accepted = m;
            maybeDone();
          },
        },
        {
          encoding: joinRejected,
          onmessage: (m: JoinRejected) => {
            const code = isErrorCode(m.code) && m.code.startsWith('INVITE_') ? m.code : 'INVITE_INVALID';
            finish(new InviteError(code as 'INVITE_INVALID', m.message));
          },
        },
        {
          encoding: entryList,
          onmessage: (list: SignedEntry[]) => {
            entries.push(...list);
            maybeDone();
          },
        },
        {
          encoding: stubList,
          onmessage: (list: LogStub[]) => {
            stubs.push(...list);
            maybeDone();
          },
        },
      ],
      onopen: () => {
        channel!.messages[0]!.send({ secret: invite.secret, name });
      },
      onclose: () => finish(new PeerUnreachableError(`${invite.offer.inviterName}'s Agora closed the connection before answering the invite.`)),
    });
    if (!channel) return finish(new PeerUnreachableError('Could not open the invite channel.'));
    conn.onClose(() => finish(new PeerUnreachableError(`The connection to ${invite.offer.inviterName} was lost while joining. Try again.`)));
    channel.open();
  });
}

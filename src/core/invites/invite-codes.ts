import { createHash } from 'node:crypto';
import { InviteError } from '../../errors/index.js';
import { decodeInviteCode, DecodeError, encodeInviteCode, encodeOffer, type Invite, type InviteOffer } from '../../protocol/index.js';
import type { KeyPair } from '../../ports/network.js';
import { randomBytes, sign, verify } from '../crypto.js';

export function secretHash(secret: Buffer): Buffer {
  return createHash('sha256').update(secret).digest();
}

/** Signs a new invite; the secret is random and only ever travels inside the code. */
export function issueInvite(keyPair: KeyPair, offer: Omit<InviteOffer, 'secretHash'>): { invite: Invite; code: string } {
  const secret = randomBytes(32);
  const full: InviteOffer = { ...offer, secretHash: secretHash(secret) };
  const offerBytes = encodeOffer(full);
  const invite: Invite = { offer: full, offerBytes, sig: sign(offerBytes, keyPair.secretKey), secret };
  return { invite, code: encodeInviteCode(invite) };
}

/** Parses a code or link and checks the inviter's signature; says clearly what is wrong. */
export function readInvite(code: string, now: number): Invite {
  let invite: Invite;
  try {
    invite = decodeInviteCode(code);
  } catch (err) {
    if (err instanceof DecodeError) throw new InviteError('INVITE_INVALID', `${capitalise(err.message)}. Check that you copied the whole code.`);
    throw err;
  }
  if (!verify(invite.offerBytes, invite.sig, invite.offer.inviter)) {
    throw new InviteError('INVITE_INVALID', 'This invite is not genuine: its signature does not match its inviter. Ask for a new invite.');
  }
  if (!secretHash(invite.secret).equals(invite.offer.secretHash)) {
    throw new InviteError('INVITE_INVALID', 'This invite code is damaged (its secret does not match). Check that you copied the whole code.');
  }
  if (invite.offer.expiresAt <= now) throw expired(invite.offer);
  return invite;
}

export function expired(offer: InviteOffer): InviteError {
  return new InviteError(
    'INVITE_EXPIRED',
    `This invite to "${offer.spaceName}" expired on ${new Date(offer.expiresAt).toISOString()}. Ask ${offer.inviterName} for a new one.`,
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

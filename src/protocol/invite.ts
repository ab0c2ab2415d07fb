import c, { type Encoder } from 'compact-encoding';
import { boundedArray, boundedString, decodeExact, DecodeError, fixed32, fixed64, fixedBuffer, hexFixed, struct } from './bounded.js';
import type { Role } from './log-entry.js';

/**
 * An invite is a signed offer from an admin ("join space S with role R before T, at most N
 * times"), carrying the inviter's addresses so that the joiner can reach it with no DHT, plus
 * a secret that is never signed into the space log: whoever holds the code may join, whoever
 * only saw the invite id in the log may not.
 */
export const INVITE_VERSION = 2;
/** Invites of version 1 (no keepers) are still read. */
const OLDEST_INVITE_VERSION = 1;
export const INVITE_CODE_PREFIX = 'agora1';
export const INVITE_LINK_PREFIX = 'agora://join/';

export interface InviteOffer {
  spaceId: string;
  spaceName: string;
  inviteId: string;
  inviter: string;
  inviterName: string;
  role: Role;
  expiresAt: number;
  maxUses: number;
  /** Direct addresses of the inviter ("host:port"). */
  addresses: string[];
  /** SHA-256 of the secret; lets the inviter check it without keeping the secret readable in the code's signed part. */
  secretHash: Buffer;
  /** The space's keepers: a joiner behind a router uses them as DHT bootstrap and relay. */
  keepers: InviteKeeper[];
}

/** A keeper as an invite carries it (see the keeper.endpoint log entry). */
export interface InviteKeeper {
  id: string;
  dht: string[];
  tcp: string[];
  relay: string;
}

export interface Invite {
  offer: InviteOffer;
  /** The bytes the inviter signed (the encoded offer). */
  offerBytes: Buffer;
  sig: Buffer;
  secret: Buffer;
}

const roles: Role[] = ['admin', 'member', 'guest', 'keeper'];

const roleEncoder: Encoder<Role> = {
  preencode: (state) => c.uint8.preencode(state, 0),
  encode: (state, role) => c.uint8.encode(state, roles.indexOf(role)),
  decode(state) {
    const role = roles[c.uint8.decode(state)];
    if (role === undefined) throw new DecodeError('unknown role in invite');
    return role;
  },
};

const name = boundedString(400);

const address = boundedString(100);
const keeperFields = struct<InviteKeeper>({
  id: hexFixed(32),
  dht: boundedArray(address, 8),
  tcp: boundedArray(address, 8),
  relay: hexFixed(32),
});

type OfferV1 = Omit<InviteOffer, 'keepers'>;
const offerV1Fields = struct<OfferV1>({
  spaceId: hexFixed(32),
  spaceName: name,
  inviteId: hexFixed(16),
  inviter: hexFixed(32),
  inviterName: name,
  role: roleEncoder,
  expiresAt: c.uint,
  maxUses: c.uint,
  addresses: boundedArray(boundedString(100), 16),
  secretHash: fixedBuffer(32),
});
const keeperList = boundedArray(keeperFields, 4);

/** The offer, preceded by a version number so that a newer Agora's invite is refused clearly. */
const offerEncoder: Encoder<InviteOffer> = {
  preencode(state, o) {
    c.uint.preencode(state, INVITE_VERSION);
    offerV1Fields.preencode(state, o);
    keeperList.preencode(state, o.keepers);
  },
  encode(state, o) {
    c.uint.encode(state, INVITE_VERSION);
    offerV1Fields.encode(state, o);
    keeperList.encode(state, o.keepers);
  },
  decode(state) {
    const version = c.uint.decode(state);
    if (version < OLDEST_INVITE_VERSION || version > INVITE_VERSION) {
      throw new DecodeError(`invite version ${version} is not supported by this Agora (update Agora to join with it)`);
    }
    const offer = offerV1Fields.decode(state);
    return { ...offer, keepers: version >= 2 ? keeperList.decode(state) : [] };
  },
};

const codeEncoder = {
  offer: (c.buffer as Encoder<Buffer | null>),
};

export function encodeOffer(offer: InviteOffer): Buffer {
  return Buffer.from(c.encode(offerEncoder, offer));
}

export function decodeOffer(bytes: Buffer): InviteOffer {
  return decodeExact(offerEncoder, bytes);
}

/** The code a user copies: prefix + base64url(offer bytes, signature, secret). */
export function encodeInviteCode(invite: Invite): string {
  const state = c.state();
  codeEncoder.offer.preencode(state, invite.offerBytes);
  fixed64.preencode(state, invite.sig);
  fixed32.preencode(state, invite.secret);
  state.buffer = Buffer.allocUnsafe(state.end);
  codeEncoder.offer.encode(state, invite.offerBytes);
  fixed64.encode(state, invite.sig);
  fixed32.encode(state, invite.secret);
  return INVITE_CODE_PREFIX + Buffer.from(state.buffer).toString('base64url');
}

/** Accepts a bare code or a link; throws DecodeError if it is not an Agora invite at all. */
export function decodeInviteCode(input: string): Invite {
  let code = input.trim();
  if (code.startsWith(INVITE_LINK_PREFIX)) code = code.slice(INVITE_LINK_PREFIX.length);
  const hash = code.indexOf('#');
  if (/^https?:\/\//.test(code) && hash >= 0) code = code.slice(hash + 1);
  if (!code.startsWith(INVITE_CODE_PREFIX)) throw new DecodeError('this is not an Agora invite code (it should start with "agora1")');
  const body = code.slice(INVITE_CODE_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(body) || body.length > 4096) throw new DecodeError('the invite code is damaged (unexpected characters)');
  const bytes = Buffer.from(body, 'base64url');
  const state = c.state(0, bytes.byteLength, bytes);
  try {
    const offerBytes = Buffer.from(codeEncoder.offer.decode(state) ?? Buffer.alloc(0));
    const sig = Buffer.from(fixed64.decode(state));
    const secret = Buffer.from(fixed32.decode(state));
    if (state.start !== state.end) throw new DecodeError('trailing bytes');
    return { offer: decodeOffer(offerBytes), offerBytes, sig, secret };
  } catch (err) {
    throw new DecodeError(`the invite code is damaged or incomplete (${(err as Error).message})`);
  }
}

export function inviteLink(code: string): string {
  return INVITE_LINK_PREFIX + code;
}

import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DecodeError } from './bounded.js';

/**
 * A space-log entry: UTF-8 JSON bytes signed with the author's Ed25519 key. The bytes travel
 * and are stored exactly as signed, so nothing is ever re-serialised before verifying; the
 * entry id is the SHA-256 of those bytes, and parents name ids, so changing any byte of any
 * entry breaks its id, its signature and every link to it.
 */
export const LOG_ENTRY_VERSION = 2;
export const MAX_ENTRY_BYTES = 8 * 1024;
export const MAX_PARENTS = 32;
export const MAX_NAME_LENGTH = 100;

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lower-case hex');
const hex16 = z.string().regex(/^[0-9a-f]{32}$/, 'expected 16 bytes as lower-case hex');
export const displayName = z
  .string()
  .min(1)
  .max(MAX_NAME_LENGTH)
  .refine((s) => s.trim() === s && !/[\u0000-\u001f\u007f]/.test(s), 'no control characters or outer spaces');

/** A folder's name is a directory name on every system: no separators, nothing reserved. */
export const folderName = displayName.refine(
  (s) => !/[\\/:*?"<>|]/.test(s) && s !== '.' && s !== '..' && !s.endsWith('.') && !s.startsWith('.agora'),
  'a folder name cannot contain \\ / : * ? " < > | or end with a dot',
);

export const roleSchema = z.enum(['admin', 'member', 'guest', 'keeper']);
export type Role = z.infer<typeof roleSchema>;

export const accessSchema = z.enum(['none', 'read', 'write']);
export type Access = z.infer<typeof accessSchema>;
/** What a folder.grant sets: an access, or (for one member) `default`: back to the role's default. */
export const grantAccessSchema = z.enum(['none', 'read', 'write', 'default']);
export type GrantAccess = z.infer<typeof grantAccessSchema>;

/**
 * A name in the log is only its commitment: SHA-256 over a domain tag, 16 random salt bytes
 * and the name (see name-commitment.ts). The log goes to every member, guests included; the
 * names travel separately, each only to the devices allowed to know it, who check it against
 * the commitment. So a guest can replay and verify the whole log without learning the names
 * of the members and folders it has no business with.
 */
export const nameRef = z.object({ h: hex32 }).strict();
export type NameRef = z.infer<typeof nameRef>;

/** A folder's default access per role (admins always write). */
export const folderAccessSchema = z.object({ members: accessSchema, guests: accessSchema }).strict();
export type FolderAccess = z.infer<typeof folderAccessSchema>;
export const DEFAULT_FOLDER_ACCESS: FolderAccess = { members: 'write', guests: 'none' };

export const MAX_ENDPOINT_ADDRESSES = 8;
/** "host:port" as a keeper announces it: a name or IPv4, or [IPv6], and a port 1–65535. */
export const hostPort = z
  .string()
  .max(100)
  .regex(/^(?:\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port')
  .refine((s) => {
    const port = Number(s.slice(s.lastIndexOf(':') + 1));
    return port >= 1 && port <= 65535;
  }, 'port out of range');

/** Whom a grant is for: every member, every guest, or one member (device id). */
export const grantTarget = z.union([z.enum(['members', 'guests']), hex32]);
export type GrantTarget = z.infer<typeof grantTarget>;

/** Who sees a chat channel's history: from when each reader joined it, or all of it. */
export const channelHistorySchema = z.enum(['join', 'full']);
export type ChannelHistory = z.infer<typeof channelHistorySchema>;
export const MAX_CHANNEL_MEMBERS = 256;

export const logBodySchema = z.discriminatedUnion('type', [
  /** The space name is for everyone who holds the log (it is on every invite); the creator's is not. */
  z.object({ type: z.literal('space.create'), name: displayName, creatorName: nameRef }).strict(),
  z.object({ type: z.literal('space.rename'), name: displayName }).strict(),
  z
    .object({
      type: z.literal('member.add'),
      member: hex32,
      name: nameRef,
      role: roleSchema,
      invite: hex16.nullable(),
    })
    .strict(),
  z.object({ type: z.literal('member.role'), member: hex32, role: roleSchema }).strict(),
  z.object({ type: z.literal('member.remove'), member: hex32 }).strict(),
  z.object({ type: z.literal('member.leave') }).strict(),
  z.object({ type: z.literal('member.rename'), name: nameRef }).strict(),
  /** A shared folder; its name is also its directory name on every member's disk. */
  z.object({ type: z.literal('folder.add'), folder: hex32, name: nameRef, access: folderAccessSchema }).strict(),
  z.object({ type: z.literal('folder.remove'), folder: hex32 }).strict(),
  /**
   * Access to one folder for a role or one member; replaces the previous grant for the same
   * target. `default` (one member only) takes the member's own grant away: its role's default applies.
   */
  z.object({ type: z.literal('folder.grant'), folder: hex32, to: grantTarget, access: grantAccessSchema }).strict(),
  /**
   * A chat channel. `members: null` is open to every member (never guests); a list makes it
   * private to those named (guests included), and only they learn its name.
   */
  z
    .object({
      type: z.literal('channel.add'),
      channel: hex32,
      name: nameRef,
      members: z.array(hex32).max(MAX_CHANNEL_MEMBERS).nullable(),
      history: channelHistorySchema,
    })
    .strict(),
  /** Adds a member to, or takes one out of, a private channel. */
  z.object({ type: z.literal('channel.member'), channel: hex32, member: hex32, in: z.boolean() }).strict(),
  /**
   * Where a keeper (the author) can be reached: its DHT node (members use it as a bootstrap),
   * its TCP fast path, and the key of its blind relay. The latest one of a keeper counts.
   */
  z
    .object({
      type: z.literal('keeper.endpoint'),
      dht: z.array(hostPort).max(MAX_ENDPOINT_ADDRESSES),
      tcp: z.array(hostPort).max(MAX_ENDPOINT_ADDRESSES),
      relay: hex32,
    })
    .strict(),
]);
export type LogBody = z.infer<typeof logBodySchema>;
export type LogBodyType = LogBody['type'];

export const logEntrySchema = z
  .object({
    v: z.literal(LOG_ENTRY_VERSION),
    /** null only for the space.create entry, whose id becomes the space id. */
    space: hex32.nullable(),
    author: hex32,
    parents: z.array(hex32).max(MAX_PARENTS),
    /** Author's wall clock (ms); informational, never trusted for ordering or authority. */
    time: z.number().int().nonnegative(),
    /** Random bytes that make two otherwise equal entries distinct (e.g. two spaces of one name). */
    nonce: hex16,
    body: logBodySchema,
  })
  .strict();
export type LogEntryContent = z.infer<typeof logEntrySchema>;

/** A signed entry as it travels on the wire and sits in the store. */
export interface SignedEntry {
  bytes: Buffer;
  sig: Buffer;
}

/**
 * What a guest holds of an entry it may not see (see core/spaces/guest-view.ts): its id and its
 * parents' ids, enough to keep the causal order, nothing about what it says or who wrote it.
 */
export interface LogStub {
  id: string;
  parents: string[];
}

export interface DecodedEntry extends SignedEntry {
  id: string;
  content: LogEntryContent;
}

export function entryId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeEntryContent(content: LogEntryContent): Buffer {
  const parsed = logEntrySchema.parse(content);
  const bytes = Buffer.from(JSON.stringify(parsed), 'utf8');
  if (bytes.byteLength > MAX_ENTRY_BYTES) throw new DecodeError(`log entry of ${bytes.byteLength} bytes is too large`);
  return bytes;
}

/** Parses entry bytes; throws DecodeError for anything that is not a well-formed entry. */
export function decodeEntry(signed: SignedEntry): DecodedEntry {
  if (signed.bytes.byteLength > MAX_ENTRY_BYTES) throw new DecodeError('log entry too large');
  if (signed.sig.byteLength !== 64) throw new DecodeError('log entry signature must be 64 bytes');
  let json: unknown;
  try {
    json = JSON.parse(signed.bytes.toString('utf8'));
  } catch {
    throw new DecodeError('log entry is not valid JSON');
  }
  const result = logEntrySchema.safeParse(json);
  if (!result.success) throw new DecodeError(`log entry is malformed: ${result.error.issues[0]?.message ?? 'invalid'}`);
  const content = result.data;
  if ((content.space === null) !== (content.body.type === 'space.create')) {
    throw new DecodeError('only a space.create entry has no space id');
  }
  if (content.body.type === 'space.create' && content.parents.length > 0) {
    throw new DecodeError('a space.create entry has no parents');
  }
  if (content.body.type !== 'space.create' && content.parents.length === 0) {
    throw new DecodeError('every entry but space.create follows at least one entry');
  }
  if (new Set(content.parents).size !== content.parents.length) throw new DecodeError('duplicate parent');
  return { bytes: signed.bytes, sig: signed.sig, id: entryId(signed.bytes), content };
}

/** The space an entry belongs to: its own id for space.create. */
export function entrySpaceId(entry: DecodedEntry): string {
  return entry.content.space ?? entry.id;
}

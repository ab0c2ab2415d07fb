import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DecodeError } from './bounded.js';

/**
 * A chat message: UTF-8 JSON bytes signed with the author's Ed25519 key, like a space-log
 * entry. The bytes travel and are stored exactly as signed; the message id is the SHA-256 of
 * those bytes, so any holder can forward a message and nobody can change it on the way.
 * Edits and deletes are messages too (they name their target), so they travel the same way
 * and every reader sees them as such.
 */
export const CHAT_MESSAGE_VERSION = 1;
export const MAX_CHAT_MESSAGE_BYTES = 32 * 1024;
export const MAX_CHAT_TEXT_BYTES = 16 * 1024;
export const MAX_ATTACHMENTS = 10;
export const MAX_MENTIONS = 64;
/** The channel every member (and no guest) of a space is in. */
export const GENERAL_CHANNEL = 'general';

const hex32 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 32 bytes as lower-case hex');
const hex16 = z.string().regex(/^[0-9a-f]{32}$/, 'expected 16 bytes as lower-case hex');

/**
 * Which conversation a message belongs to: `general`, a channel of the space log (its id),
 * or the direct conversation of two members, `dm:<id>:<id>` with the ids in ascending order
 * (so both sides name it alike, and anyone can tell who may read it from the id alone).
 */
export const chatChannelId = z.union([
  z.literal(GENERAL_CHANNEL),
  hex32,
  z.string().regex(/^dm:[0-9a-f]{64}:[0-9a-f]{64}$/, 'a direct channel is dm:<id>:<id>'),
]);
export type ChatChannelId = z.infer<typeof chatChannelId>;

export function directChannelId(a: string, b: string): string {
  return a < b ? `dm:${a}:${b}` : `dm:${b}:${a}`;
}

/** The two members of a direct channel, or null for any other channel. */
export function directMembers(channelId: string): [string, string] | null {
  const m = /^dm:([0-9a-f]{64}):([0-9a-f]{64})$/.exec(channelId);
  return m && m[1]! < m[2]! ? [m[1]!, m[2]!] : null;
}

const text = z.string().refine((s) => Buffer.byteLength(s, 'utf8') <= MAX_CHAT_TEXT_BYTES, `at most ${MAX_CHAT_TEXT_BYTES} bytes of text`);

/**
 * A file sent with a message: its bytes travel as blocks (FastCDC, SHA-256 ids) on request;
 * `id` is the SHA-256 of its block list (see attachment-manifest.ts), which any holder serves
 * and every receiver checks before fetching a block.
 */
export const attachmentRef = z
  .object({
    id: hex32,
    name: z.string().min(1).max(255).refine((s) => !/[\\/\u0000-\u001f]/.test(s), 'a file name without separators or control characters'),
    size: z.number().int().nonnegative(),
  })
  .strict();
export type AttachmentRef = z.infer<typeof attachmentRef>;

export const chatBodySchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('post'),
      text,
      mentions: z.array(hex32).max(MAX_MENTIONS),
      attachments: z.array(attachmentRef).max(MAX_ATTACHMENTS),
    })
    .strict(),
  /** Replaces the text of the author's own message `target`. */
  z.object({ type: z.literal('edit'), target: hex32, text, mentions: z.array(hex32).max(MAX_MENTIONS) }).strict(),
  /** Withdraws the author's own message `target`: readers see that it was deleted. */
  z.object({ type: z.literal('delete'), target: hex32 }).strict(),
]);
export type ChatBody = z.infer<typeof chatBodySchema>;

export const chatMessageSchema = z
  .object({
    v: z.literal(CHAT_MESSAGE_VERSION),
    space: hex32,
    channel: chatChannelId,
    author: hex32,
    /**
     * One more than the highest clock of the channel's messages the author held when writing:
     * a message always sorts after every message its author could have seen.
     */
    lamport: z.number().int().positive(),
    /** Author's wall clock (ms): shown to readers, and compared with join times for history. */
    time: z.number().int().nonnegative(),
    nonce: hex16,
    body: chatBodySchema,
  })
  .strict();
export type ChatMessageContent = z.infer<typeof chatMessageSchema>;

export interface SignedChatMessage {
  bytes: Buffer;
  sig: Buffer;
}

export interface DecodedChatMessage extends SignedChatMessage {
  id: string;
  content: ChatMessageContent;
}

export function chatMessageId(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function encodeChatMessage(content: ChatMessageContent): Buffer {
  const parsed = chatMessageSchema.parse(content);
  const bytes = Buffer.from(JSON.stringify(parsed), 'utf8');
  if (bytes.byteLength > MAX_CHAT_MESSAGE_BYTES) throw new DecodeError(`message of ${bytes.byteLength} bytes is too large`);
  return bytes;
}

/** Parses message bytes; throws DecodeError for anything that is not a well-formed message. */
export function decodeChatMessage(signed: SignedChatMessage): DecodedChatMessage {
  if (signed.bytes.byteLength > MAX_CHAT_MESSAGE_BYTES) throw new DecodeError('chat message too large');
  if (signed.sig.byteLength !== 64) throw new DecodeError('chat message signature must be 64 bytes');
  let json: unknown;
  try {
    json = JSON.parse(signed.bytes.toString('utf8'));
  } catch {
    throw new DecodeError('chat message is not valid JSON');
  }
  const result = chatMessageSchema.safeParse(json);
  if (!result.success) throw new DecodeError(`chat message is malformed: ${result.error.issues[0]?.message ?? 'invalid'}`);
  return { bytes: signed.bytes, sig: signed.sig, id: chatMessageId(signed.bytes), content: result.data };
}

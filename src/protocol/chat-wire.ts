import c from 'compact-encoding';
import { boundedArray, boundedBuffer, boundedString, fixedBuffer, hexFixed, struct } from './bounded.js';
import { MAX_CHAT_MESSAGE_BYTES, type SignedChatMessage } from './chat-message.js';
import { CHUNK_LIMITS } from './fastcdc.js';

/**
 * Channel `agora/chat/1` (one per space on a connection, id = space id). Each node numbers the
 * messages it stores per space (seq, arrival order); a peer says how far it has received ours,
 * and we send it the rest — only what it may read — so a reconnect sends only what is new,
 * and every node forwards what it holds (store and forward). Attachments travel as blocks on
 * request, like the blocks of a shared folder.
 */
export const CHAT_PROTOCOL = 'agora/chat/1';
export const MAX_CHAT_BATCH = 256;
/** Attachments up to this size: their block list fits one message. */
export const MAX_ATTACHMENT_BYTES = 1024 * 1024 * 1024;
export const MAX_MANIFEST_BYTES = Math.ceil(MAX_ATTACHMENT_BYTES / CHUNK_LIMITS.min) * 36;

export type PresenceState = 'online' | 'away';

export interface ChatHello {
  /** Our chat log id for the space (16 bytes hex). */
  logId: string;
  /** The peer's log id as we know it (zeros if we hold nothing of it) and how far we have it. */
  haveLogId: string;
  haveSeq: number;
  presence: PresenceState;
}

const presence: c.Encoder<PresenceState> = {
  preencode: (state, v) => c.uint8.preencode(state, v === 'away' ? 1 : 0),
  encode: (state, v) => c.uint8.encode(state, v === 'away' ? 1 : 0),
  decode: (state) => (c.uint8.decode(state) === 1 ? 'away' : 'online'),
};

export const chatHello = struct<ChatHello>({
  logId: hexFixed(16),
  haveLogId: hexFixed(16),
  haveSeq: c.uint,
  presence,
});

export const signedChatMessage = struct<SignedChatMessage>({
  bytes: boundedBuffer(MAX_CHAT_MESSAGE_BYTES),
  sig: fixedBuffer(64),
});

/**
 * Messages, oldest first. `seq` > 0: with these the sender has sent everything of its store
 * up to that seq that we may read (the receiver records it and says it on reconnect);
 * 0: an answer to `want` or a forward that says nothing about the sender's sequence.
 */
export interface ChatBatch {
  seq: number;
  items: SignedChatMessage[];
}
export const chatBatch = struct<ChatBatch>({ seq: c.uint, items: boundedArray(signedChatMessage, MAX_CHAT_BATCH) });

/** Channels whose whole history (as far as we may see it) we ask for, e.g. after being added to one. */
export const chatWant = boundedArray(boundedString(140), 64);

export const chatPresence = struct<{ state: PresenceState }>({ state: presence });

/** Asks for an attachment's block list or one of its blocks. */
export interface AttachmentRequest {
  requestId: number;
  attachmentId: string;
  /** 0: the block list; n > 0: block n - 1. */
  part: number;
}
export const attachmentRequest = struct<AttachmentRequest>({ requestId: c.uint, attachmentId: hexFixed(32), part: c.uint });

export interface AttachmentResponse {
  requestId: number;
  /** Empty with `missing`: the peer does not have it (or may not give it to us). */
  missing: boolean;
  data: Buffer;
}
export const attachmentResponse = struct<AttachmentResponse>({
  requestId: c.uint,
  missing: c.bool,
  data: boundedBuffer(Math.max(MAX_MANIFEST_BYTES, CHUNK_LIMITS.max), { copy: false, what: 'attachment part' }),
});

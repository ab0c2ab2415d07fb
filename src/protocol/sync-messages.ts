import c, { type Encoder } from 'compact-encoding';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { boundedArray, boundedBuffer, boundedString, DecodeError, decodeExact, fixedBuffer, hexFixed, struct } from './bounded.js';
import { MAX_LOG_POINT, type BlockRef, type FileRecord, type FileType, type VersionCounter } from './file-record.js';

/**
 * Wire messages of the sync channel `agora/sync/4` (one per connection and space; its id is
 * the space id). Index exchange is incremental as in Syncthing's BEP: each side says, per
 * folder, which index id and sequence of the other side it already has, and the other side
 * sends only newer records. Blocks are requested by hash and verified by the requester.
 * Version 3: records carry their log point (`at`), and sign it. Version 4: an index message may
 * carry echoes, records named rather than sent because the receiver announced them itself.
 */
export const SYNC_PROTOCOL = 'agora/sync/4';

/** Limits every decoder enforces. */
export const SYNC_LIMITS = {
  /** Longest folder-relative path in UTF-8 bytes. */
  pathBytes: 4096,
  /** Blocks of one file record: 1 TiB at the smallest average chunk size is far below this. */
  blocksPerFile: 8 * 1024 * 1024,
  /** Devices in one version vector. */
  versionCounters: 1024,
  /** Records in one index message; senders keep messages below ~1 MiB as well. */
  recordsPerMessage: 4096,
  /** Folders offered in one hello. */
  folders: 1024,
  /** Largest block (FastCDC max chunk size), and so largest block response. */
  blockBytes: 1024 * 1024,
  /** Largest index message once inflated: a secret-stream message cannot be longer anyway. */
  indexBytes: 16 * 1024 * 1024,
} as const;

const hex32 = hexFixed(32);
const hex16 = hexFixed(16);

const fileType: Encoder<FileType> = {
  preencode: (state, v) => c.uint8.preencode(state, v === 'dir' ? 1 : 0),
  encode: (state, v) => c.uint8.encode(state, v === 'dir' ? 1 : 0),
  decode(state) {
    const n = c.uint8.decode(state);
    if (n > 1) throw new DecodeError(`unknown file type ${n}`);
    return n === 1 ? 'dir' : 'file';
  },
};

export const blockRef = struct<BlockRef>({ hash: fixedBuffer(32), size: c.uint });

export const versionCounter = struct<VersionCounter>({ device: hex32, value: c.uint });

export const fileRecord = struct<FileRecord>({
  path: boundedString(SYNC_LIMITS.pathBytes),
  type: fileType,
  size: c.uint,
  mtimeMs: c.int,
  mode: c.uint,
  deleted: c.bool,
  version: boundedArray(versionCounter, SYNC_LIMITS.versionCounters),
  modifiedBy: hex32,
  sequence: c.uint,
  blocks: boundedArray(blockRef, SYNC_LIMITS.blocksPerFile),
  sig: fixedBuffer(64),
  // Read-only in the record (many records share one log point); the encoder never writes to it.
  at: boundedArray(hex32, MAX_LOG_POINT) as Encoder<readonly string[]>,
});

/** One folder as one side offers it in the hello (only folders the other side may read). */
export interface FolderOffer {
  folderId: string;
  /** The sender's index id of this folder and its current highest sequence. */
  indexId: string;
  maxSequence: number;
  /** What the sender already holds of the receiver's index (zeros/0 when nothing). */
  haveIndexId: string;
  haveSequence: number;
}
export const folderOffer = struct<FolderOffer>({
  folderId: hex32,
  indexId: hex16,
  maxSequence: c.uint,
  haveIndexId: hex16,
  haveSequence: c.uint,
});

export interface SyncHello {
  folders: FolderOffer[];
}
export const syncHello = struct<SyncHello>({ folders: boundedArray(folderOffer, SYNC_LIMITS.folders) });

/** Sent again whenever the set of shared folders changes. */
export const folderOffers = syncHello;

/** Bytes of a signature an echo carries: enough to tell apart the versions of one path. */
export const ECHO_SIG_BYTES = 16;

/**
 * A record of the sender's index that is, signature and all, the record the receiver itself
 * announced for that path: named by path and signature prefix instead of being sent back whole.
 * A peer that pulled our changes holds exactly our records, so this is most of what it announces.
 */
export interface RecordEcho {
  path: string;
  /** Its position in the sender's index, as a record's `sequence`. */
  sequence: number;
  /** The first ECHO_SIG_BYTES bytes of the record's signature. */
  sig: Buffer;
}
const sigPrefix: Encoder<Buffer> = {
  preencode: (state, v) => c.fixed(ECHO_SIG_BYTES).preencode(state, v),
  encode: (state, v) => c.fixed(ECHO_SIG_BYTES).encode(state, v),
  decode: (state) => Buffer.from(c.fixed(ECHO_SIG_BYTES).decode(state)),
};
export const recordEcho = struct<RecordEcho>({
  path: boundedString(SYNC_LIMITS.pathBytes),
  sequence: c.uint,
  sig: sigPrefix,
});

export interface IndexUpdate {
  folderId: string;
  indexId: string;
  records: FileRecord[];
  /** Sequences interleave with those of `records`: the receiver takes both in sequence order. */
  echoes?: RecordEcho[];
  /** True when the sender has now sent everything up to its current sequence. */
  upToDate: boolean;
}
const echoList = boundedArray(recordEcho, SYNC_LIMITS.recordsPerMessage);
export const indexUpdate = struct<IndexUpdate>({
  folderId: hex32,
  indexId: hex16,
  records: boundedArray(fileRecord, SYNC_LIMITS.recordsPerMessage),
  echoes: {
    preencode: (state, v) => echoList.preencode(state, v ?? []),
    encode: (state, v) => echoList.encode(state, v ?? []),
    decode: (state) => echoList.decode(state),
  },
  upToDate: c.bool,
});

export interface BlockRequest {
  /** Chosen by the requester, unique among its outstanding requests on this channel. */
  requestId: number;
  folderId: string;
  hash: Buffer;
  size: number;
  /** Where the requester expects it (a hint: the responder may find it elsewhere by hash). */
  path: string;
  offset: number;
}
export const blockRequest = struct<BlockRequest>({
  requestId: c.uint,
  folderId: hex32,
  hash: fixedBuffer(32),
  size: c.uint,
  path: boundedString(SYNC_LIMITS.pathBytes),
  offset: c.uint,
});

export interface BlockResponse {
  requestId: number;
  data: Buffer;
}
/**
 * Block bytes are the bulk of all traffic: decoded as a view of the received message rather
 * than a copy (a message buffer is never reused by the stream, and the receiver only hashes
 * and writes the bytes).
 */
const blockData = boundedBuffer(SYNC_LIMITS.blockBytes, { copy: false, what: 'block' });

export const blockResponse = struct<BlockResponse>({
  requestId: c.uint,
  data: blockData,
});

export type BlockErrorCode = 'NOT_FOUND' | 'FORBIDDEN' | 'BUSY' | 'ERROR';
export interface BlockError {
  requestId: number;
  code: BlockErrorCode;
}
const blockErrorCodes: readonly BlockErrorCode[] = ['NOT_FOUND', 'FORBIDDEN', 'BUSY', 'ERROR'];
export const blockError = struct<BlockError>({
  requestId: c.uint,
  code: {
    preencode: (state, v) => c.uint8.preencode(state, blockErrorCodes.indexOf(v)),
    encode: (state, v) => c.uint8.encode(state, blockErrorCodes.indexOf(v)),
    decode(state) {
      const code = blockErrorCodes[c.uint8.decode(state)];
      if (code === undefined) throw new DecodeError('unknown block error code');
      return code;
    },
  },
});

/*
 * msg 5 `indexDeflated`: an `index` message compressed with raw DEFLATE (RFC 1951), as
 * Syncthing compresses its metadata. Paths, version vectors, authors and log points repeat
 * from record to record; hashes and signatures do not. A batch of small files' records
 * shrinks to about half. Deflated once, when the sender decides (deflateIndex), and the
 * encoder reuses those bytes.
 */

/** Below this an index message goes plain: the gain would not pay for the work. */
const DEFLATE_MIN_BYTES = 1024;
const deflatedBytes = new WeakMap<IndexUpdate, Buffer>();

/**
 * Whether `update` is worth sending deflated (it shrinks by an eighth or more). If so, the
 * deflated bytes are kept for the `indexDeflated` encoder.
 */
export function deflateIndex(update: IndexUpdate): boolean {
  // Sized first: most updates (one commit's records) are small, and need no encoding here.
  const size = c.state();
  indexUpdate.preencode(size, update);
  if (size.end < DEFLATE_MIN_BYTES) return false;
  const plain = c.encode(indexUpdate, update);
  const deflated = deflateRawSync(plain, { level: 1 });
  if (deflated.byteLength > plain.byteLength - (plain.byteLength >> 3)) return false;
  deflatedBytes.set(update, deflated);
  return true;
}

const deflatedBody = boundedBuffer(SYNC_LIMITS.indexBytes, { copy: false, what: 'deflated index message' });

function deflatedOf(update: IndexUpdate): Buffer {
  let bytes = deflatedBytes.get(update);
  if (!bytes) {
    bytes = deflateRawSync(c.encode(indexUpdate, update), { level: 1 });
    deflatedBytes.set(update, bytes);
  }
  return bytes;
}

export const indexDeflated: Encoder<IndexUpdate> = {
  preencode: (state, v) => deflatedBody.preencode(state, deflatedOf(v)),
  encode: (state, v) => deflatedBody.encode(state, deflatedOf(v)),
  decode(state) {
    const body = deflatedBody.decode(state);
    let plain: Buffer;
    try {
      plain = inflateRawSync(body, { maxOutputLength: SYNC_LIMITS.indexBytes });
    } catch (err) {
      throw new DecodeError(`a deflated index message does not inflate within ${SYNC_LIMITS.indexBytes} bytes: ${(err as Error).message}`);
    }
    return decodeExact(indexUpdate, plain);
  },
};

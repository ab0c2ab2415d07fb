import { LogInvalidError } from '../../errors/index.js';
import {
  decodeEntry,
  DecodeError,
  encodeEntryContent,
  LOG_ENTRY_VERSION,
  type DecodedEntry,
  type LogBody,
  type SignedEntry,
} from '../../protocol/index.js';
import type { KeyPair } from '../../ports/network.js';
import type { StoredLogEntry } from '../../ports/store.js';
import { randomHex, sign, verify } from '../crypto.js';

/** Signs a new entry by `keyPair` that follows `parents`. */
export function createEntry(
  keyPair: KeyPair,
  fields: { space: string | null; parents: string[]; body: LogBody; time: number },
): DecodedEntry {
  const bytes = encodeEntryContent({
    v: LOG_ENTRY_VERSION,
    space: fields.space,
    author: keyPair.publicKey.toString('hex'),
    parents: [...fields.parents].sort(),
    time: fields.time,
    nonce: randomHex(16),
    body: fields.body,
  });
  return decodeEntry({ bytes, sig: sign(bytes, keyPair.secretKey) });
}

/** Decodes and checks the signature; a single changed byte anywhere fails here. */
export function verifyEntry(signed: SignedEntry): DecodedEntry {
  let entry: DecodedEntry;
  try {
    entry = decodeEntry(signed);
  } catch (err) {
    if (err instanceof DecodeError) throw new LogInvalidError(err.message);
    throw err;
  }
  if (!verify(entry.bytes, entry.sig, entry.content.author)) {
    throw new LogInvalidError(`log entry ${entry.id.slice(0, 12)} has a bad signature`);
  }
  return entry;
}

export function toStored(entry: DecodedEntry, spaceId: string, receivedAt: number): StoredLogEntry {
  return {
    id: entry.id,
    spaceId,
    author: entry.content.author,
    parents: entry.content.parents,
    bytes: entry.bytes,
    sig: entry.sig,
    receivedAt,
  };
}

/** Stored entries were verified on arrival; decoding again is enough. */
export function fromStored(stored: StoredLogEntry): DecodedEntry {
  return decodeEntry({ bytes: stored.bytes, sig: stored.sig });
}

import c from 'compact-encoding';
import { boundedArray, boundedBuffer, boundedString, DecodeError, fixedBuffer, hexFixed, struct } from './bounded.js';
import { MAX_ENTRY_BYTES, MAX_NAME_LENGTH, MAX_PARENTS, type LogStub, type SignedEntry } from './log-entry.js';
import type { NameDisclosure } from './name-commitment.js';

/**
 * Wire messages of Agora's protomux channels. Every protocol has its own channel, named
 * `agora/<protocol>/<version>`; a peer that speaks another version simply never pairs.
 * Every decoder is bounded (list lengths, string and blob sizes).
 */
export const PROTOCOLS = {
  control: 'agora/control/1',
  log: 'agora/log/3',
  invite: 'agora/invite/2',
} as const;

/** Entries per `entries` message; a log larger than this is sent in several messages. */
export const MAX_ENTRIES_PER_MESSAGE = 128;
export const MAX_IDS_PER_MESSAGE = 4096;

const hexId = hexFixed(32);

const addresses = boundedArray(boundedString(100), 16);

// ---- control ----
export interface ControlHello {
  /** Agora version string, for diagnostics only. */
  software: string;
  name: string;
  addresses: string[];
}
export const controlHello = struct<ControlHello>({
  software: boundedString(64),
  name: boundedString(400),
  addresses,
});

export interface Ping {
  nonce: number;
}
export const ping = struct<Ping>({ nonce: c.uint });
export const pong = ping;
export const controlUpdate = controlHello;

/** Where other members can be reached, so that members who never met can connect without a DHT. */
export interface AddressBookEntry {
  deviceId: string;
  addresses: string[];
}
export const addressBook = boundedArray(
  struct<AddressBookEntry>({ deviceId: hexId, addresses }),
  256,
);

// ---- space log ----
export const signedEntry = struct<SignedEntry>({
  bytes: boundedBuffer(MAX_ENTRY_BYTES),
  sig: fixedBuffer(64),
});
export const idList = boundedArray(hexId, MAX_IDS_PER_MESSAGE);
export const entryList = boundedArray(signedEntry, MAX_ENTRIES_PER_MESSAGE);
/** Stubs per `stubs` message (an id and up to 32 parent ids each). */
export const MAX_STUBS_PER_MESSAGE = 512;
export const stubList = boundedArray(
  struct<LogStub>({ id: hexId, parents: boundedArray(hexId, MAX_PARENTS) }),
  MAX_STUBS_PER_MESSAGE,
);

/** Names that open commitments of the log; each side checks them before keeping one. */
export const MAX_NAMES_PER_MESSAGE = 512;
export const nameList = boundedArray(
  struct<NameDisclosure>({ h: hexId, salt: hexFixed(16), name: boundedString(MAX_NAME_LENGTH * 4) }),
  MAX_NAMES_PER_MESSAGE,
);

export interface LogHandshake {
  heads: string[];
}
export const logHandshake = struct<LogHandshake>({ heads: idList });

// ---- invite ----
export interface JoinRequest {
  secret: Buffer;
  name: string;
}
export const joinRequest = struct<JoinRequest>({
  secret: fixedBuffer(32),
  name: boundedString(400),
});

export interface JoinAccepted {
  spaceSecret: Buffer;
  /** Total entries that will follow in `entries` messages. */
  entryCount: number;
  /** Total stubs that will follow in `stubs` messages (a guest's view of the log; else 0). */
  stubCount: number;
}
export const joinAccepted = struct<JoinAccepted>({
  spaceSecret: fixedBuffer(32),
  entryCount: c.uint,
  stubCount: c.uint,
});

export interface JoinRejected {
  code: string;
  message: string;
}
export const joinRejected = struct<JoinRejected>({ code: boundedString(40), message: boundedString(1000) });

export { DecodeError };

import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { AgoraError } from '../errors/index.js';

/**
 * The upload limit of the node's settings ("largest upload", read per request so a change
 * applies at once), shared by folder uploads and chat attachments.
 */
export interface UploadLimit {
  maxBytes: number;
  tooLarge: () => AgoraError;
}

/** TOO_LARGE (413): more than the limit; `instead` says what to do rather than upload. */
export function uploadTooLarge(limit: number, instead: string): AgoraError {
  return new AgoraError('TOO_LARGE', `The file is larger than the upload limit of ${limit / 1024 / 1024} MB set in the node's settings. Raise the limit in Settings, or ${instead}.`);
}

/** The limit for one request, or null when there is none; a declared length above it is refused at once. */
export function uploadLimit(maxBytes: number, headers: IncomingHttpHeaders, instead: string): UploadLimit | null {
  if (maxBytes <= 0) return null;
  const limit = { maxBytes, tooLarge: () => uploadTooLarge(maxBytes, instead) };
  const declared = Number(headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw limit.tooLarge();
  return limit;
}

/**
 * Passes chunks through until `max` bytes, then fails (a body without a length cannot slip past
 * the limit). A request body is not destroyed when its reader stops early but drained: the
 * client gets the answer and its connection stays usable (destroying the body takes the socket
 * down, and fetch then reports a reset instead of the answer, or on its next request).
 */
export async function* limitBytes(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, limit: UploadLimit | null): AsyncGenerator<Uint8Array> {
  let seen = 0;
  const chunks = source instanceof Readable ? source.iterator({ destroyOnReturn: false }) : source;
  try {
    for await (const chunk of chunks as AsyncIterable<Uint8Array>) {
      seen += chunk.byteLength;
      if (limit && seen > limit.maxBytes) throw limit.tooLarge();
      yield chunk;
    }
  } finally {
    // Node drains only a body nobody started reading; this one was, so drop the rest here.
    if (source instanceof Readable && !source.readableEnded) source.resume();
  }
}

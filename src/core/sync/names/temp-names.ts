import { createHash } from 'node:crypto';

/**
 * Temp names of the engine. An incoming file is written beside its final place and
 * renamed over it, so a reader never sees half a file and the rename stays on one
 * file system. The name is a pure function of (version, basename): a transfer that
 * restarts after a crash finds its partial file again and can resume it, and a
 * temp file left by an older version of the file is recognisably stale.
 *
 * Paths here are folder-relative and '/'-separated; callers pass paths that
 * validateRelativePath accepted (this module cannot import it: relative-path.ts
 * refuses temp names, so it depends on this one).
 */

export const TEMP_PREFIX = '.agora-tmp-';

const HASH_HEX_LENGTH = 12;
const MAX_SEGMENT_BYTES = 255;

// Strict on purpose: a user's own '.agora-tmp-notes.txt' is not ours and must sync.
const TEMP_NAME = new RegExp(`^${TEMP_PREFIX.replace(/[.]/g, '\\.')}[0-9a-f]{${HASH_HEX_LENGTH}}-.`, 's');

export function tempNameFor(path: string, versionKey: string): string {
  const slash = path.lastIndexOf('/');
  const dir = slash === -1 ? '' : path.slice(0, slash + 1);
  const basename = path.slice(slash + 1);
  // The hash takes the whole basename, so two long names sharing a truncated
  // start still get different temp names.
  const hash = createHash('sha256').update(versionKey + basename).digest('hex').slice(0, HASH_HEX_LENGTH);
  const head = `${TEMP_PREFIX}${hash}-`;
  return dir + head + fitBytes(basename, MAX_SEGMENT_BYTES - Buffer.byteLength(head));
}

export function isTempName(basename: string): boolean {
  return TEMP_NAME.test(basename);
}

/**
 * The longest start of `name` within `maxBytes` UTF-8 bytes, cut between code
 * points. When cut, trailing dots and spaces go too: Windows drops them from
 * names, so the file on disk would not carry the name we look for on restart.
 */
export function fitBytes(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  let out = '';
  let bytes = 0;
  for (const ch of name) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    out += ch;
    bytes += n;
  }
  const trimmed = out.replace(/[. ]+$/, '');
  return trimmed === '' ? '_' : trimmed;
}

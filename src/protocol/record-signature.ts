import { createHash } from 'node:crypto';
import type { FileRecord } from './file-record.js';

/** Format 2 adds the log point (`at`); format 1 signatures do not verify any more. */
const DOMAIN = 'agora/record/2\n';

/**
 * The bytes a file record's author signs: the folder, the path and everything that makes
 * the version (type, deletion, size, executable bit, mtime, version vector, author, blocks),
 * and the log point it was made at. Not the sequence (each device numbers its own index) nor
 * local stat data. Any device can check that `modifiedBy` made this version at that point
 * of the space log, so a record relayed by a third device, or shown in the audit, cannot be
 * forged, re-attributed or moved to another point of the log.
 */
export function recordSigningBytes(folderId: string, r: FileRecord): Buffer {
  const blocks = createHash('sha256');
  for (const b of r.blocks) {
    blocks.update(b.hash);
    blocks.update(`:${b.size};`);
  }
  const version = r.version.map((c) => `${c.device}:${c.value}`).join(',');
  const head = JSON.stringify([folderId, r.path, r.type, r.deleted, r.size, (r.mode & 0o100) !== 0, r.mtimeMs, version, r.modifiedBy, r.at.join(',')]);
  return Buffer.concat([Buffer.from(DOMAIN + head + '\n', 'utf8'), blocks.digest()]);
}

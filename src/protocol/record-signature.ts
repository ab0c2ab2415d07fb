import { createHash } from 'node:crypto';
import type { FileRecord } from './file-record.js';

const DOMAIN = 'agora/record/1\n';

/**
 * The bytes a file record's author signs: the folder, the path and everything that makes
 * the version (type, deletion, size, executable bit, mtime, version vector, author, blocks).
 * Not the sequence (each device numbers its own index) nor local stat data. Any device can
 * check that `modifiedBy` made this version, so a record relayed by a third device, or
 * shown in the audit, cannot be forged or re-attributed.
 */
export function recordSigningBytes(folderId: string, r: FileRecord): Buffer {
  const blocks = createHash('sha256');
  for (const b of r.blocks) {
    blocks.update(b.hash);
    blocks.update(`:${b.size};`);
  }
  const version = r.version.map((c) => `${c.device}:${c.value}`).join(',');
  const head = JSON.stringify([folderId, r.path, r.type, r.deleted, r.size, (r.mode & 0o100) !== 0, r.mtimeMs, version, r.modifiedBy]);
  return Buffer.concat([Buffer.from(DOMAIN + head + '\n', 'utf8'), blocks.digest()]);
}

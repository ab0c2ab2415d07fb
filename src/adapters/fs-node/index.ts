import * as fs from 'node:fs/promises';
import { resolve } from 'node:path';
import type { FolderFs, FsPort } from '../../ports/fs.js';
import { fsErrorFor, isMissing, toFsError } from '../fs-common/fs-errors.js';
import { NodeFolderFs } from './node-folder.js';

export { NodeFolderFs } from './node-folder.js';

/** FsPort over node:fs/promises. The root itself may be a link (users do that); nothing below it may. */
export class NodeFs implements FsPort {
  async folder(root: string, options: { create?: boolean } = {}): Promise<FolderFs> {
    const abs = resolve(root);
    if (options.create) {
      try {
        await fs.mkdir(abs, { recursive: true });
      } catch (err) {
        throw toFsError(err, 'create the folder', abs, '');
      }
    }
    let isDir: boolean;
    try {
      isDir = (await fs.stat(abs)).isDirectory();
    } catch (err) {
      if (isMissing(err)) throw fsErrorFor('ENOENT', 'open', abs, '', 'it does not exist; create it or pick another folder');
      throw toFsError(err, 'open', abs, '');
    }
    if (!isDir) throw fsErrorFor('ENOTDIR', 'open', abs, '', 'it is not a folder');
    return new NodeFolderFs(abs);
  }
}

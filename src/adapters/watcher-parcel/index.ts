import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import parcelWatcher from '@parcel/watcher';
import type { WatcherPort, WatchSubscription } from '../../ports/fs.js';
import { toFsError } from '../fs-common/fs-errors.js';

/** The engine's own state folder at the top of each root; its churn is not a user change. */
const ENGINE_DIR = '.agora';

/**
 * WatcherPort over @parcel/watcher (inotify, FSEvents, ReadDirectoryChangesW). Parcel already
 * batches and coalesces events, so each of its callbacks becomes one onChange with the paths made
 * folder-relative and '/'-separated. It also sees the engine's own writes; the engine copes.
 * A renamed folder is reported as its two ends only, not the entries inside it: the receiver
 * rescans a reported folder as a whole.
 */
export class ParcelWatcher implements WatcherPort {
  async watch(root: string, onChange: (paths: string[]) => void, onError: (err: Error) => void): Promise<WatchSubscription> {
    const abs = resolve(root);
    // Parcel may report paths through the resolved root (macOS: /var is /private/var), so both
    // spellings are accepted as prefixes.
    const real = await realpath(abs).catch((err: unknown) => {
      throw toFsError(err, 'watch', abs, '');
    });
    let closed = false;
    const subscription = await parcelWatcher
      .subscribe(
        real,
        (err, events) => {
          if (closed) return;
          if (err) {
            onError(err);
            return;
          }
          const paths = new Set<string>();
          for (const event of events) {
            const path = folderRelative(event.path, [real, abs]);
            if (path !== null) paths.add(path);
          }
          if (paths.size > 0) onChange([...paths]);
        },
        // Also filtered above: parcel's ignore is an optimisation, not the guarantee.
        { ignore: [ENGINE_DIR] },
      )
      .catch((err: unknown) => {
        throw toFsError(err, 'watch', abs, '');
      });
    return {
      close: async () => {
        if (closed) return;
        closed = true;
        await subscription.unsubscribe();
      },
    };
  }
}

/**
 * The '/'-separated path of `absolute` below one of `roots`: '' for the root itself (parcel
 * reports it when the whole folder is deleted; '' tells the receiver to rescan everything), null
 * outside the roots or in the engine's folder.
 */
export function folderRelative(absolute: string, roots: readonly string[]): string | null {
  for (const root of roots) {
    const rel = relative(root, absolute);
    // Not startsWith('..') alone: '..notes' is a fine name inside the root.
    if (rel === '') return '';
    if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) continue;
    const segments = rel.split(sep);
    if (segments[0] === ENGINE_DIR) return null;
    return segments.join('/');
  }
  return null;
}

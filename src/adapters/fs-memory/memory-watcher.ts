import type { WatcherPort, WatchSubscription } from '../../ports/fs.js';
import { fsErrorFor } from '../fs-common/fs-errors.js';
import type { MemoryFs } from './memory-fs.js';

/** The engine's own state folder at the top of each root: never reported, as with the real watcher. */
const ENGINE_DIR = '.agora';

interface LiveWatch {
  onError: (err: Error) => void;
}

/**
 * WatcherPort over a MemoryFs. Like a real watcher it sees every change under the root, the
 * user's (MemoryFs.user*) and the engine's own writes through FolderFs alike, and delivers them
 * later and in batches: paths changed in one turn of the event loop arrive together, deduplicated.
 */
export class MemoryWatcher implements WatcherPort {
  private readonly live = new Set<LiveWatch>();

  constructor(private readonly fs: MemoryFs) {}

  async watch(root: string, onChange: (paths: string[]) => void, onError: (err: Error) => void): Promise<WatchSubscription> {
    const rootSegments = root.split('/').filter((s) => s !== '');
    if (this.fs.tree.lookup(rootSegments)?.kind !== 'dir') {
      throw fsErrorFor('ENOENT', 'watch', root, '', 'the folder does not exist');
    }
    const pending = new Set<string>();
    let scheduled = false;
    let closed = false;
    const flush = () => {
      scheduled = false;
      if (closed || pending.size === 0) return;
      const paths = [...pending];
      pending.clear();
      onChange(paths);
    };
    const unsubscribe = this.fs.tree.onChange((absolute) => {
      if (closed) return;
      // A change to the root or an ancestor (the folder deleted or moved away) is reported as '',
      // which tells the receiver to rescan everything, as the parcel watcher does.
      const common = Math.min(absolute.length, rootSegments.length);
      if (!rootSegments.slice(0, common).every((name, i) => absolute[i] === name)) return;
      const relative = absolute.slice(rootSegments.length);
      if (relative[0] === ENGINE_DIR) return;
      pending.add(relative.join('/'));
      if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
    const entry: LiveWatch = { onError };
    this.live.add(entry);
    return {
      close: async () => {
        closed = true;
        pending.clear();
        unsubscribe();
        this.live.delete(entry);
      },
    };
  }

  /** Test hook: every open watch reports `err`, as a real watcher does when it overflows. */
  injectError(err: Error = new Error('The watcher fell behind; rescan the folder.')): void {
    for (const entry of [...this.live]) entry.onError(err);
  }
}

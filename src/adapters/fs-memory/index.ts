export { MemoryFs, type MemoryFsOptions, type MemorySnapshotEntry } from './memory-fs.js';
export { MemoryFolderFs } from './memory-folder.js';
export { MemoryWatcher } from './memory-watcher.js';

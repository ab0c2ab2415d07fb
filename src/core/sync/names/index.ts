/**
 * Pure rules about file names for the sync engine: which paths may exist in a folder,
 * how the engine names its temp files and conflict copies, and what it leaves unsynced.
 * No I/O here; the engine and the file-system adapter apply these.
 */
export {
  ENGINE_DIR,
  MAX_PATH_BYTES,
  MAX_SEGMENT_BYTES,
  caseFoldKey,
  isEngineDirName,
  validateRelativePath,
  windowsProblem,
} from './relative-path.js';
export { TEMP_PREFIX, isTempName, tempNameFor } from './temp-names.js';
export { conflictName, isConflictName, parseConflictName, type ParsedConflictName } from './conflict-names.js';
export { IGNORE_FILE, IgnoreRules, isJunkName } from './ignore-rules.js';

import type { Access, AuditEntry, AuditItem, FolderAccess } from '../../../../src/contract/api.js';

/** What decides a folder's access, as the space log has it (see SpaceState.accessOf). */
export interface FolderRules {
  /** Access of members and guests who have no setting of their own. */
  defaults: FolderAccess;
  /** Settings for one member, by member id. */
  own: Map<string, Access>;
  /** Who shared the folder: it keeps write access unless given a setting of its own. */
  creator: string | null;
}

/** The node's default when the log says nothing: members write, guests nothing. */
export const DEFAULT_ACCESS: FolderAccess = { members: 'write', guests: 'none' };

/**
 * Replays the applied folder.add and folder.grant entries of the audit (in log order) for one
 * folder: the access API gives each member's effective access, but not whether it comes from the
 * role's default or a setting for that member.
 */
export function folderRules(audit: AuditItem[], folderId: string): FolderRules {
  const rules: FolderRules = { defaults: { ...DEFAULT_ACCESS }, own: new Map(), creator: null };
  for (const item of audit) {
    if (item.type === 'file.change' || item.folderId !== folderId || !item.applied) continue;
    const entry: AuditEntry = item;
    if (entry.type === 'folder.add' && typeof entry.access === 'object') {
      rules.defaults = { ...DEFAULT_ACCESS, ...entry.access };
      rules.creator = entry.author;
      rules.own.clear();
    } else if (entry.type === 'folder.grant' && typeof entry.access === 'string' && entry.to) {
      // The log takes `default` only for one member (back to its role's default).
      if (entry.access === 'default') rules.own.delete(entry.to);
      else if (entry.to === 'members') rules.defaults = { ...rules.defaults, members: entry.access };
      else if (entry.to === 'guests') rules.defaults = { ...rules.defaults, guests: entry.access };
      else rules.own.set(entry.to, entry.access);
    }
  }
  return rules;
}

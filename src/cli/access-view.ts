import type { Access, AuditItem, FolderAccess, GrantAccess, MemberAccess } from '../contract/api.js';
import { UsageError } from './output.js';

/**
 * Pure helpers of the access commands: parsing --grant, --access, roles and grant targets, and
 * the lines `agora audit` prints. No I/O, tested with tables (test/unit/cli-access.test.ts).
 */

const ACCESS = ['none', 'read', 'write'] as const;
const ROLES = ['admin', 'member', 'guest'] as const;

function isAccess(text: string): text is Access {
  return (ACCESS as readonly string[]).includes(text);
}

/** `folder grant --access`: `none`, `read`, `write` or `default` (one member back to its role's default). */
export function parseGrantAccess(text: string): GrantAccess {
  const t = text.trim().toLowerCase();
  if (t === 'default') return t;
  if (!isAccess(t)) throw new UsageError(`--access takes none, read, write or default (got "${text}")`);
  return t;
}

/** `none`, `read` or `write` (any case). */
export function parseAccess(text: string, what = '--access'): Access {
  const t = text.trim().toLowerCase();
  if (!isAccess(t)) throw new UsageError(`${what} takes none, read or write (got "${text}")`);
  return t;
}

/** `admin`, `member` or `guest` (any case). */
export function parseRole(text: string): (typeof ROLES)[number] {
  const t = text.trim().toLowerCase();
  const role = ROLES.find((r) => r === t);
  if (!role) throw new UsageError(`the role is admin, member or guest (got "${text}")`);
  return role;
}

/** `audit --limit`: how many file changes, a whole number from 0 to 100000 (what the API takes). */
export function parseAuditLimit(text: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!/^\d+$/.test(t) || n > 100_000) throw new UsageError(`--limit takes a whole number from 0 to 100000 (got "${text}")`);
  return n;
}

/**
 * `--grant FOLDER=ACCESS` of `invite`. The access comes after the last '=', so a folder name
 * may hold '=' itself.
 */
export function parseGrant(text: string): { folder: string; access: Access } {
  const at = text.lastIndexOf('=');
  const folder = at < 0 ? '' : text.slice(0, at).trim();
  if (at < 0 || folder === '') throw new UsageError(`--grant takes FOLDER=ACCESS, e.g. --grant "Orders=write" (got "${text}")`);
  return { folder, access: parseAccess(text.slice(at + 1), `--grant "${folder}=…"`) };
}

/** Commander's way of collecting a repeated option. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * `--access "members=write,guests=none"` of `folder add`: both keys optional (`member` and
 * `guest` work too), each value none, read or write.
 */
export function parseFolderAccess(text: string): Partial<FolderAccess> {
  const usage = `--access takes "members=ACCESS,guests=ACCESS" (either part optional; ACCESS is none, read or write), got "${text}"`;
  const out: Partial<FolderAccess> = {};
  const parts = text.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new UsageError(usage);
  for (const part of parts) {
    const m = /^([a-z]+)\s*=\s*([a-z]+)$/i.exec(part);
    if (!m) throw new UsageError(usage);
    const key = m[1]!.toLowerCase();
    const role = key === 'members' || key === 'member' ? 'members' : key === 'guests' || key === 'guest' ? 'guests' : null;
    if (role === null) throw new UsageError(usage);
    if (out[role] !== undefined) throw new UsageError(`--access names ${role} twice`);
    const value = m[2]!.toLowerCase();
    if (!isAccess(value)) throw new UsageError(usage);
    out[role] = value;
  }
  return out;
}

/** `members`, `guests` (or `member`, `guest`), or a member as the user named it. */
export function parseGrantTarget(text: string): string {
  const t = text.trim();
  if (t === '') throw new UsageError('--to takes members, guests, or a member (id, id prefix or name)');
  const lower = t.toLowerCase();
  if (lower === 'member' || lower === 'members') return 'members';
  if (lower === 'guest' || lower === 'guests') return 'guests';
  return t;
}

/** How a grant target reads in a sentence. */
export function describeTarget(to: string, toName: string | null): string {
  if (to === 'members') return 'Members';
  if (to === 'guests') return 'Guests';
  return `${toName ?? 'Member'} (${to.slice(0, 12)})`;
}

export function describeAccess(access: GrantAccess): string {
  if (access === 'default') return 'the default of their role';
  return access === 'write' ? 'read and write' : access === 'read' ? 'read only (receive, no changes sent)' : 'no access';
}

function who(id: string | null, name: string | null | undefined): string {
  if (id === null) return 'someone you may not see';
  return name ? `${name} (${id.slice(0, 8)})` : `Member ${id.slice(0, 8)}`;
}
const folderLabel = (id: string | undefined, name: string | null | undefined) => (name ? `"${name}"` : `folder ${(id ?? '').slice(0, 12)}`);

/** One line of `agora audit`: when (ISO), who, what, and whether it took effect. */
export function auditLine(item: AuditItem): string {
  const when = new Date(item.at).toISOString();
  if (item.type === 'file.change') {
    return `${when}  ${who(item.by, item.byName)}  ${item.deleted ? 'deleted' : 'changed'} ${folderLabel(item.folderId, item.folderName)}/${item.path}${item.signed ? '' : '  (NOT SIGNED by its author)'}`;
  }
  const member = item.member === undefined ? '' : who(item.member, item.memberName);
  const folder = folderLabel(item.folderId, item.folderName);
  let what: string;
  switch (item.type) {
    case 'space.create':
      what = `created the space "${item.spaceName ?? ''}"`;
      break;
    case 'space.rename':
      what = `renamed the space to "${item.spaceName ?? ''}"`;
      break;
    case 'member.add':
      what = `added ${member} as ${item.role ?? '?'}`;
      break;
    case 'member.role':
      what = `made ${member} ${item.role ?? '?'}`;
      break;
    case 'member.remove':
      what = `removed ${member}`;
      break;
    case 'member.leave':
      what = 'left the space';
      break;
    case 'member.rename':
      what = 'changed its name';
      break;
    case 'folder.add': {
      const a = item.access;
      const defaults = a !== undefined && typeof a === 'object' ? ` (members ${a.members}, guests ${a.guests})` : '';
      what = `shared ${folder}${defaults}`;
      break;
    }
    case 'folder.remove':
      what = `removed ${folder} from the space`;
      break;
    case 'folder.grant': {
      const target = item.to === 'members' ? 'members' : item.to === 'guests' ? 'guests' : member;
      what =
        item.access === 'default'
          ? `put ${target} back to their role's default access to ${folder}`
          : `gave ${target} ${typeof item.access === 'string' ? item.access : '?'} access to ${folder}`;
      break;
    }
    case 'channel.add':
      what = `created the channel #${item.channelName ?? item.channelId?.slice(0, 12) ?? '?'}`;
      break;
    case 'channel.member':
      what = `${item.in === true ? 'added' : 'took'} ${member} ${item.in === true ? 'to' : 'out of'} #${item.channelName ?? item.channelId?.slice(0, 12) ?? '?'}`;
      break;
    case 'keeper.endpoint':
      what = `keeper reachable at ${item.addresses?.join(', ') ?? '?'}`;
      break;
  }
  return `${when}  ${who(item.author, item.authorName)}  ${what}${item.applied ? '' : `  [refused: ${item.reason ?? 'not applied'}]`}`;
}

/** The rows of `agora folder access`. */
export function accessRows(list: readonly MemberAccess[]): string[][] {
  return list.map((m) => [m.memberId.slice(0, 12), m.name, m.role, m.access]);
}

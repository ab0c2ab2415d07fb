import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { accessRows, auditLine, describeAccess, describeTarget, parseAuditLimit, parseGrantAccess, parseGrantTarget, parseRole } from './access-view.js';
import { printJson, printLine, printTable, shortId, UsageError } from './output.js';

/**
 * `members role`, `members remove`, `folder grant`, `folder access`, `folder revert` and
 * `audit`. The `members` command parses --space and --json itself (commander gives a parent's
 * options to the parent), so its subcommands read them with optsWithGlobals.
 */
export function registerAccessCommands(program: Command, members: Command, folder: Command, client: () => ApiClient): void {
  const spaceOf = (cmd: Command): { space: string; json: boolean } => {
    const o = cmd.optsWithGlobals<{ space?: string; json?: boolean }>();
    if (o.space === undefined) throw new UsageError(`${cmd.parent?.name() ?? ''} ${cmd.name()} needs --space SPACE`.trim());
    return { space: o.space, json: o.json === true };
  };

  members
    .command('role <member> <role>')
    .description("change a member's role: admin, member or guest (admins)")
    .option('--space <space>', 'space id or name')
    .option('--json', 'print JSON')
    .action(async (memberRef: string, roleText: string, _opts: unknown, cmd: Command) => {
      const { space, json } = spaceOf(cmd);
      const m = await client().setRole(space, memberRef, { role: parseRole(roleText) });
      if (json) return printJson(m);
      printLine(`${m.name} (${shortId(m.memberId)}) is now ${m.role === 'admin' ? 'an admin' : `a ${m.role}`} of the space.`);
    });

  members
    .command('remove <member>')
    .description('remove a member from the space (admins): disconnected now, gets nothing new, keeps its copies')
    .option('--space <space>', 'space id or name')
    .option('--json', 'print JSON')
    .action(async (memberRef: string, _opts: unknown, cmd: Command) => {
      const { space, json } = spaceOf(cmd);
      const m = await client().removeMember(space, memberRef);
      if (json) return printJson(m);
      printLine(`Removed ${m.name} (${shortId(m.memberId)}) from the space. Its device is disconnected and gets nothing new;`);
      printLine('the copies it already has stay on its disk (no software can take those back).');
    });

  folder
    .command('grant <folder>')
    .description('set the access of members, guests or one member to a folder (admins)')
    .requiredOption('--to <who>', 'members, guests, or a member (id, id prefix or name)')
    .requiredOption('--access <access>', 'none, read or write; for one member also default (back to its role\'s default)')
    .option('--space <space>', 'the space, when FOLDER is a name that several spaces have')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { to: string; access: string; space?: string; json?: boolean }) => {
      const access = parseGrantAccess(opts.access);
      const g = await client().grant(ref, { to: parseGrantTarget(opts.to), access }, opts.space);
      if (opts.json) return printJson(g);
      const folderLabel = g.folderName === null ? shortId(g.folderId) : `"${g.folderName}"`;
      printLine(`${describeTarget(g.to, g.toName)}: ${describeAccess(g.access)} on ${folderLabel}.`);
      printLine(`See everyone's access with: agora folder access ${g.folderName === null ? shortId(g.folderId) : JSON.stringify(g.folderName)}`);
    });

  folder
    .command('access <folder>')
    .description('the effective access of every member you may see: none, read or write')
    .option('--space <space>', 'the space, when FOLDER is a name that several spaces have')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { space?: string; json?: boolean }) => {
      const list = await client().folderAccess(ref, opts.space);
      if (opts.json) return printJson(list);
      printTable(['MEMBER', 'NAME', 'ROLE', 'ACCESS'], accessRows(list));
    });

  folder
    .command('revert <folder>')
    .description('read-only folders: put the shared version back over the changes made here')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { json?: boolean }) => {
      const r = await client().revertFolder(ref);
      if (opts.json) return printJson(r);
      if (r.reverted === 0) return printLine('Nothing to revert: this device has no local changes in that folder.');
      printLine(`Putting the shared version back on ${r.reverted} path${r.reverted === 1 ? '' : 's'}. Your versions are kept in .agora/versions of the folder.`);
    });

  program
    .command('audit')
    .description('the signed history of a space (joins, roles, grants, removals) and who changed which file when')
    .requiredOption('--space <space>', 'space id or name')
    .option('--folder <folder>', "only this folder's file changes (id, id prefix or name)")
    .option('--limit <n>', 'at most this many file changes, the newest (0 to 100000)', '1000')
    .option('--json', 'print JSON')
    .action(async (opts: { space: string; folder?: string; limit: string; json?: boolean }) => {
      const limit = parseAuditLimit(opts.limit);
      const items = await client().audit(opts.space, undefined, { folder: opts.folder, limit });
      if (opts.json) return printJson(items);
      const entries = items.filter((i) => i.type !== 'file.change');
      const files = items.filter((i) => i.type === 'file.change');
      printLine('Space log: every entry is signed by its author and hash-linked to the entries before it, so no single');
      printLine('member can rewrite it. Times are the authors\' clocks; refused entries took no effect.');
      for (const item of entries) printLine(`  ${auditLine(item)}`);
      printLine();
      if (files.length === 0) return printLine(limit === 0 ? 'File changes: not asked for (--limit 0).' : 'File changes: none recorded on this device.');
      const newest = files.length === limit ? `the newest ${limit}, ` : '';
      printLine(`File changes (${newest}oldest first): every version this device recorded, with its author's clock.`);
      for (const item of files) printLine(`  ${auditLine(item)}`);
    });
}

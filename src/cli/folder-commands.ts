import type { Command } from 'commander';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiClient } from '../client/api-client.js';
import type { Folder, FolderStatus } from '../contract/api.js';
import { parseFolderAccess } from './access-view.js';
import { accessLine, activityLine, formatBytes, formatDuration, isBusy, parseTimeout, plural, waitForSync } from './folder-view.js';
import { LiveLine, printJson, printLine, printTable, shortId, WaitTimeoutError } from './output.js';

/** How often `wait` and a refreshing `folder status` ask the node. */
const POLL_MS = 200;
const REFRESH_MS = 500;
/** How long `wait`'s condition must hold (see waitForSync). */
const SETTLE_MS = 500;

const label = (f: Pick<Folder, 'spaceName' | 'name'>) => `${f.spaceName}/${f.name}`;

/** `agora folder …`, `wait`, `conflicts`, `versions` and `restore`. */
export function registerFolderCommands(program: Command, client: () => ApiClient): Command {
  const folder = program.command('folder').description('share directories as folders of a space, and see how they sync');

  folder
    .command('add')
    .description('share a directory as a new folder of a space (created if missing)')
    .requiredOption('--space <space>', 'space id or name')
    .requiredOption('--path <dir>', 'the directory to share')
    .option('--name <name>', 'folder name in the space (default: the directory name)')
    .option('--access <defaults>', 'default access per role, e.g. "members=write,guests=read" (default: members write, guests none)')
    .option('--json', 'print JSON')
    .action(async (opts: { space: string; path: string; name?: string; access?: string; json?: boolean }) => {
      const access = opts.access === undefined ? undefined : parseFolderAccess(opts.access);
      const f = await client().addFolder(opts.space, {
        path: resolve(opts.path),
        ...(opts.name === undefined ? {} : { name: opts.name }),
        ...(access === undefined ? {} : { access }),
      });
      if (opts.json) return printJson(f);
      printLine(`Sharing ${f.path} as "${f.name}" in space "${f.spaceName}" (folder ${shortId(f.folderId)}).`);
      printLine(`Members get it in their space directory. Follow it with: agora folder status ${shortId(f.folderId)}`);
    });


  folder
    .command('list')
    .description('the folders on this device and their state')
    .option('--space <space>', 'only the folders of this space')
    .option('--json', 'print JSON')
    .action(async (opts: { space?: string; json?: boolean }) => {
      const list = await client().folders(opts.space);
      if (opts.json) return printJson(list);
      if (list.length === 0) return printLine('No folders yet. Share one with: agora folder add --space SPACE --path DIR');
      printTable(['FOLDER', 'SPACE', 'NAME', 'STATE', 'PATH'], list.map((f) => [shortId(f.folderId), f.spaceName, f.name, f.state, f.path]));
    });

  folder
    .command('status <folder>')
    .description('state, file counts, what is still needed, peers; on a terminal it follows a scan or sync to its end')
    .option('--no-watch', 'print once, even on a terminal')
    .option('--json', 'print JSON')
    .action(async (ref: string, opts: { watch: boolean; json?: boolean }) => {
      const api = client();
      let s = await api.folderStatus(ref);
      if (opts.json) return printJson(s);
      printFolderStatus(s);
      const live = new LiveLine();
      if (!opts.watch || !live.enabled || !isBusy(s.state)) {
        if (isBusy(s.state)) printLine(`Activity   ${activityLine(s)}`);
        return;
      }
      while (isBusy(s.state)) {
        live.update(`Activity   ${activityLine(s)}`);
        await sleep(REFRESH_MS);
        s = await api.folderStatus(ref);
      }
      live.update(`Activity   ${activityLine(s)} (${plural(s.localFiles, 'file')}, ${formatBytes(s.localBytes)}; needs ${plural(s.needFiles, 'file')})`);
      live.end();
    });

  const setState = (action: 'pause' | 'resume' | 'remove', description: string, done: (f: Folder) => string) =>
    folder
      .command(`${action} <folder>`)
      .description(description)
      .option('--json', 'print JSON')
      .action(async (ref: string, opts: { json?: boolean }) => {
        const api = client();
        const f = action === 'pause' ? await api.pauseFolder(ref) : action === 'resume' ? await api.resumeFolder(ref) : await api.removeFolder(ref);
        if (opts.json) return printJson(f);
        printLine(done(f));
      });
  setState('pause', 'stop syncing a folder for now', (f) => `Paused ${label(f)}. Resume with: agora folder resume ${shortId(f.folderId)}`);
  setState('resume', 'sync a paused or removed folder again', (f) => `${label(f)} is syncing again (${f.state}).`);
  setState(
    'remove',
    'stop syncing a folder on this device; its files stay where they are',
    (f) => `Stopped syncing ${label(f)} on this device. Nothing was deleted: the files stay on disk at ${f.path}\nTo sync it again: agora folder resume ${shortId(f.folderId)}`,
  );

  folder
    .command('rescan <folder>')
    .description('look for local changes in the whole folder now')
    .action(async (ref: string) => {
      const f = await client().rescanFolder(ref);
      printLine(`Rescanning ${label(f)}.`);
    });

  program
    .command('wait <folder>')
    .description('wait until a folder is in sync with every connected peer of it (and at least one is connected)')
    .option('--timeout <seconds>', 'give up after this long: exit code 3', '60')
    .option('--json', 'print the final folder status as JSON')
    .action(async (ref: string, opts: { timeout: string; json?: boolean }) => {
      const timeout = parseTimeout(opts.timeout);
      const api = client();
      const live = new LiveLine();
      const outcome = await waitForSync({
        poll: () => api.folderStatus(ref),
        timeoutMs: timeout * 1000,
        intervalMs: POLL_MS,
        settleMs: SETTLE_MS,
        now: Date.now,
        sleep: (ms) => sleep(ms),
        onStatus: (s, check) => {
          if (!opts.json) live.update(`${label(s)}: ${check.done ? 'in sync' : isBusy(s.state) ? activityLine(s) : check.missing.join(', ')}`);
        },
      });
      live.end();
      const s = outcome.status;
      if (!outcome.done) throw new WaitTimeoutError(`${label(s)} is not in sync after ${Number.isInteger(timeout) ? formatDuration(timeout) : `${timeout}s`}: ${outcome.missing.join(', ')}.`);
      if (opts.json) return printJson(s);
      printLine(`${label(s)} is in sync with ${plural(s.peers.length, 'connected peer')}.`);
    });

  program
    .command('conflicts')
    .description('conflict copies: the losing side of concurrent edits, kept next to the file')
    .option('--space <space>', 'only the folders of this space')
    .option('--json', 'print JSON')
    .action(async (opts: { space?: string; json?: boolean }) => {
      const list = await client().conflicts(opts.space);
      if (opts.json) return printJson(list);
      if (list.length === 0) return printLine('No conflicts.');
      printTable(['FOLDER', 'COPY', 'ORIGINAL', 'DEVICE', 'TIME'], list.map((c) => [c.folder, c.path, c.original, c.device, c.time]));
    });

  program
    .command('versions <folder> <path>')
    .description('the kept versions of a file (path relative to the folder)')
    .option('--json', 'print JSON')
    .action(async (ref: string, path: string, opts: { json?: boolean }) => {
      const list = await client().versions(ref, path);
      if (opts.json) return printJson(list);
      if (list.length === 0) return printLine(`No kept versions of ${path}.`);
      printTable(['VERSION', 'SIZE', 'MODIFIED'], list.map((v) => [v.versionId, formatBytes(v.size), v.mtime]));
      printLine(`\nRestore one with: agora restore ${ref} ${path} --version VERSION`);
    });

  program
    .command('restore <folder> <path>')
    .description('put a kept version of a file back; the current file is kept as a version')
    .requiredOption('--version <id>', 'a version id from: agora versions FOLDER PATH')
    .option('--json', 'print JSON')
    .action(async (ref: string, path: string, opts: { version: string; json?: boolean }) => {
      const r = await client().restore(ref, { path, versionId: opts.version });
      if (opts.json) return printJson(r);
      printLine(`Restored ${r.path} to version ${r.versionId}. The file it replaced, if any, is kept as a version; the restored one syncs to the peers.`);
    });

  return folder;
}

function printFolderStatus(s: FolderStatus): void {
  const peers = s.peers.length === 0 ? 'none connected' : s.peers.map((p) => `${shortId(p.deviceId)} ${p.inSync ? 'in sync' : 'syncing'}`).join(', ');
  const lines = [
    `Folder     ${label(s)} (${s.folderId})`,
    `Path       ${s.path}`,
    `State      ${s.state}${s.error ? ` — ${s.error}` : ''}`,
    `Local      ${plural(s.localFiles, 'file')}, ${formatBytes(s.localBytes)}`,
    `Global     ${plural(s.globalFiles, 'file')}, ${formatBytes(s.globalBytes)}`,
    `Needs      ${plural(s.needFiles, 'file')}, ${formatBytes(s.needBytes)}`,
    `Access     ${accessLine(s)}`,
    `Conflicts  ${s.conflicts}${s.conflicts > 0 ? ' (see: agora conflicts)' : ''}`,
    `Peers      ${peers}`,
  ];
  for (const line of lines) printLine(line);
  if (s.problems.length > 0) {
    printLine(`Problems   ${s.problems.length}${s.problems.length >= 100 ? '+' : ''}:`);
    for (const p of s.problems.slice(0, 10)) printLine(`  ${p.path}: ${p.message}`);
  }
}

/** For `agora status`: how many folders, and a progress line for each that scans or syncs. */
export async function printFolderSummary(api: ApiClient): Promise<void> {
  const folders = await api.folders();
  const busy = folders.filter((f) => isBusy(f.state));
  printLine(`Folders    ${folders.length}${busy.length > 0 ? ` (${busy.length} busy)` : ''}`);
  const width = Math.max(...busy.map((f) => label(f).length));
  for (const f of busy) {
    const s = await api.folderStatus(f.folderId);
    printLine(`  ${label(f).padEnd(width)}  ${activityLine(s)}`);
  }
}

import { Command, CommanderError, Option } from 'commander';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';
import { ApiClient } from '../client/api-client.js';
import { AgoraError } from '../errors/index.js';
import { runForeground, runInit, startDetached, waitForExit } from './daemon-process.js';
import { parseDuration, parsePositiveInt } from './duration.js';
import { registerAccessCommands } from './access-commands.js';
import { registerChatCommands } from './chat-commands.js';
import { collect, parseGrant } from './access-view.js';
import { printFolderSummary, registerFolderCommands } from './folder-commands.js';
import { printSignInLinkWhenReady, registerOpenCommand } from './open-command.js';
import { registerKeeperCommand } from './keeper-command.js';
import { EXIT_USAGE, printJson, printLine, printTable, reportError, shortId, UsageError } from './output.js';

const program = new Command();
program
  .name('agora')
  .description('Agora: a peer-to-peer extranet. Spaces, members, invites, shared folders and chat, PC to PC.')
  .option('--home <dir>', 'node home directory (default: $AGORA_HOME or ~/.agora)')
  .showHelpAfterError()
  .exitOverride();

function home(): string {
  const opt = program.opts<{ home?: string }>().home;
  return resolve(opt ?? process.env.AGORA_HOME ?? join(homedir(), '.agora'));
}

const client = () => ApiClient.forHome(home());

function nodeIfRunning(): ApiClient | null {
  try {
    return client();
  } catch {
    return null;
  }
}

program
  .command('init')
  .description("create this device's identity (idempotent); --name sets its display name")
  .option('--name <name>', 'display name shown to other members')
  .option('--json', 'print JSON')
  .action(async (opts: { name?: string; json?: boolean }) => {
    const identity = await runInit(home(), opts.name);
    if (opts.name) await nodeIfRunning()?.setName(opts.name); // a running node picks the new name up at once
    if (opts.json) printJson(identity);
    else printLine(`Device ${identity.deviceId}\nName   ${identity.name}`);
  });

program
  .command('start')
  .description('run the node (in the foreground unless --detach)')
  .option('--detach', 'run in the background and return once it is ready')
  .option('--listen <host:port>', 'TCP address for direct connections (port 0 = any free port; default: the saved setting)', '0.0.0.0:0')
  .option('--api <host:port>', 'local API and web app address (port 0 = any free port; default: the saved setting)', '127.0.0.1:7420')
  .option('--bootstrap <host:port,...>', 'HyperDHT bootstrap nodes (default: the saved setting, else the public ones)')
  .option('--no-dht', 'do not use the DHT: direct addresses only (default: the saved setting)')
  .option('--no-mdns', 'do not announce or look for nodes on the LAN (default: the saved setting)')
  .option('--json', 'print JSON (with --detach)')
  .action(async (opts: { detach?: boolean; listen: string; api: string; bootstrap?: string; dht: boolean; mdns: boolean; json?: boolean }, command: Command) => {
    // Only what was typed is passed on: the node fills the rest from its saved settings (web app, Settings).
    const given = (name: string) => command.getOptionValueSource(name) === 'cli';
    const flags: string[] = [];
    if (given('listen')) flags.push('--listen', opts.listen);
    if (given('api')) flags.push('--api', opts.api);
    if (opts.bootstrap) flags.push('--bootstrap', opts.bootstrap);
    if (!opts.dht) flags.push('--no-dht');
    if (!opts.mdns) flags.push('--no-mdns');
    if (!opts.detach) {
      process.exitCode = await runForeground(home(), flags, (running) => void printSignInLinkWhenReady(client, running));
      return;
    }
    const status = await startDetached(home(), flags);
    if (opts.json) printJson(status);
    else printLine(`Agora node "${status.name}" is running in the background.\n  Web app: ${status.api}/ (sign in with: agora open)\n  Stop it with: agora stop`);
  });

registerKeeperCommand(program, home);

program
  .command('stop')
  .description('stop the running node of this home')
  .action(async () => {
    const api = client(); // says clearly when no node is running
    const pidFile = join(home(), 'node.pid');
    const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim()) || null : null;
    await api.stop();
    if (pid && !(await waitForExit(pid, 15_000))) throw new AgoraError('TIMEOUT', `The node (pid ${pid}) did not stop within 15 s.`);
    printLine('Agora node stopped.');
  });

program
  .command('status')
  .description('show this node: identity, addresses, DHT, spaces, folders (with progress of those that sync)')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const api = client();
    const s = await api.status();
    if (opts.json) return printJson(s);
    printLine(`Name       ${s.name}\nDevice id  ${s.deviceId}\nVersion    ${s.version}\nWeb app    ${s.api}/`);
    printLine(`Listening  ${s.listen.join(', ') || '(none)'}\nDHT        ${s.dht}\nSpaces     ${s.spaces}`);
    await printFolderSummary(api);
  });

const space = program.command('space').description('create and list spaces');
space
  .command('create <name>')
  .description('create a space; you are its admin')
  .option('--dir <dir>', 'where its folders go on this device')
  .option('--json', 'print JSON')
  .action(async (name: string, opts: { dir?: string; json?: boolean }) => {
    const s = await client().createSpace({ name, ...(opts.dir ? { dir: resolve(opts.dir) } : {}) });
    if (opts.json) return printJson(s);
    printLine(`Created space "${s.name}" (${s.spaceId}).\nInvite people with: agora invite --space "${s.name}"`);
  });
space
  .command('list')
  .description('the spaces of this device')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const list = await client().spaces();
    if (opts.json) return printJson(list);
    if (list.length === 0) return printLine('No spaces yet. Create one with: agora space create NAME, or join with: agora join CODE');
    printTable(['SPACE', 'NAME', 'ROLE', 'MEMBERS', 'DIR'], list.map((s) => [shortId(s.spaceId), s.name, s.role ?? '-', String(s.members), s.dir]));
  });

program
  .command('invite')
  .description('create an invite code for a space (admins)')
  .requiredOption('--space <space>', 'space id or name')
  .addOption(new Option('--role <role>', 'role of whoever joins').choices(['admin', 'member', 'guest', 'keeper']).default('member'))
  .option('--expires <duration>', 'how long it stays valid (e.g. 7d, 12h, 30m)', '7d')
  .option('--uses <n>', 'how many devices may join with it', '1')
  .option('--grant <folder=access>', 'folder access the new member gets (none, read or write); repeat for several folders', collect, [])
  .option('--json', 'print JSON')
  .action(async (opts: { space: string; role: 'admin' | 'member' | 'guest'; expires: string; uses: string; grant: string[]; json?: boolean }) => {
    const invite = await client().invite(opts.space, {
      role: opts.role,
      expiresIn: parseDuration(opts.expires),
      uses: parsePositiveInt(opts.uses, '--uses'),
      grants: opts.grant.map(parseGrant),
    });
    if (opts.json) return printJson(invite);
    printLine(`Invite (${invite.role}, valid until ${invite.expiresAt}, ${invite.uses} use${invite.uses === 1 ? '' : 's'}):\n\n${invite.code}\n`);
    for (const g of invite.grants) printLine(`Grants ${g.access} on ${g.name === null ? shortId(g.folderId) : `"${g.name}"`}`);
    printLine(`Link: ${invite.link}\nThe other person runs: agora join <code>`);
  });

program
  .command('join <code>')
  .description('join a space with an invite code or link')
  .option('--dir <dir>', 'where its folders go on this device')
  .option('--json', 'print JSON')
  .action(async (code: string, opts: { dir?: string; json?: boolean }) => {
    const s = await client().join({ code, ...(opts.dir ? { dir: resolve(opts.dir) } : {}) });
    if (opts.json) return printJson({ spaceId: s.spaceId, name: s.name, dir: s.dir, role: s.role });
    printLine(`Joined "${s.name}" as ${s.role}. Its folders will be in ${s.dir}`);
  });

const members = program
  .command('members')
  .description('the members of a space and who is online (or away); role and remove change them (admins)')
  .requiredOption('--space <space>', 'space id or name')
  .option('--json', 'print JSON')
  .action(async (opts: { space: string; json?: boolean }) => {
    const list = await client().members(opts.space);
    if (opts.json) return printJson(list);
    printTable(['MEMBER', 'NAME', 'ROLE', 'STATE'], list.map((m) => [shortId(m.memberId), m.name + (m.self ? ' (you)' : ''), m.role, m.presence ?? (m.online ? 'online' : 'offline')]));
  });

program
  .command('peers')
  .description('devices this node shares a space with, and how it is connected to them')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const list = await client().peers();
    if (opts.json) return printJson(list);
    if (list.length === 0) return printLine('No peers yet.');
    printTable(
      ['DEVICE', 'NAME', 'STATE', 'TRANSPORT', 'ADDRESS', 'RTT'],
      list.map((p) => [shortId(p.deviceId), p.name, p.connected ? 'connected' : 'offline', p.transport ? `${p.transport}${p.direct ? '' : ' (relayed)'}` : '-', p.address ?? '-', p.rttMs === null ? '-' : `${p.rttMs} ms`]),
    );
  });

program
  .command('doctor')
  .description('what this node sees of its network: NAT type, public address, DHT, keepers, and advice')
  .option('--json', 'print JSON')
  .action(async (opts: { json?: boolean }) => {
    const r = await client().doctor();
    if (opts.json) return printJson(r);
    const natWords = { open: 'none (reachable directly)', cone: 'cone (keeps ports: hole punching works)', symmetric: 'symmetric (new port per destination)', unknown: 'unknown' } as const;
    printLine(`DHT          ${r.dht}${r.dht === 'disabled' ? '' : ` (${r.dhtNodes} node${r.dhtNodes === 1 ? '' : 's'} known)`}`);
    printLine(`NAT          ${natWords[r.nat]}`);
    printLine(`Public addr  ${r.publicAddress ?? '-'}`);
    printLine(`Listening    ${r.listen.join(', ') || '-'}`);
    printLine(`LAN (mDNS)   ${r.mdns ? 'on' : 'off'}`);
    if (r.keeper) printLine(`Keeper       this node: DHT ${r.keeper.dht.join(', ')}, TCP ${r.keeper.tcp.join(', ')}, relay ${shortId(r.keeper.relay)}`);
    if (r.keepers.length === 0) printLine('Keepers      none in your spaces');
    for (const k of r.keepers) {
      printLine(`Keeper       ${k.name || shortId(k.deviceId)} at ${k.address}: ${k.reachable ? `answers${k.rttMs === null ? '' : ` (${k.rttMs} ms)`}` : 'no answer'}${k.connected ? ', connected' : ''}`);
    }
    printLine(`Peers        ${r.peers.connected} connected (${r.peers.direct} direct, ${r.peers.relayed} relayed)`);
    printLine('');
    for (const line of r.advice) printLine(`- ${line}`);
  });

registerOpenCommand(program, client);

const folder = registerFolderCommands(program, client);
registerAccessCommands(program, members, folder, client);
registerChatCommands(program, client);

/**
 * True when the arguments name a command. Commander would take `--version` anywhere for the
 * program's own flag, so that flag exists only without a command: `agora --version` prints the
 * version and `agora restore F P --version ID` reaches restore.
 */
function namesCommand(args: string[]): boolean {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--home') i++;
    else if (!arg.startsWith('-')) return true;
  }
  return false;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  if (!namesCommand(process.argv.slice(2))) program.version('0.1.0');
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      process.exitCode = err.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    process.exitCode = reportError(err instanceof UsageError ? err : err, json);
  }
}

await main();

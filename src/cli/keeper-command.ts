import type { Command } from 'commander';
import { runForeground, startDetached } from './daemon-process.js';
import { printJson, printLine, UsageError } from './output.js';

export interface KeeperOptions {
  detach?: boolean;
  listen: string;
  dhtPort: string;
  publicHost?: string;
  api: string;
  bootstrap?: string;
  mdns: boolean;
  json?: boolean;
}

/**
 * The daemon flags of `agora keeper`, checked: a fixed UDP port for its DHT nodes (members
 * bootstrap from it) and, if given, the bare host members reach it at. `given` says which
 * options were typed (the rest come from the node's saved settings).
 */
export function keeperDaemonFlags(opts: KeeperOptions, given: (name: string) => boolean): string[] {
  const port = Number(opts.dhtPort);
  // Its DHT nodes use the port and the two after it.
  if (!/^\d{1,5}$/.test(opts.dhtPort) || port < 1 || port > 65533) throw new UsageError(`--dht-port must be a port from 1 to 65533 (got "${opts.dhtPort}").`);
  if (opts.publicHost !== undefined && !/^(?:[A-Za-z0-9.-]+|\[[0-9a-fA-F:.]+\])$/.test(opts.publicHost)) {
    throw new UsageError(`--public-host must be a host name or an IP address, without a port (got "${opts.publicHost}").`);
  }
  const flags = ['--keeper', '--dht-port', String(port)];
  if (opts.publicHost) flags.push('--public-host', opts.publicHost);
  if (given('listen')) flags.push('--listen', opts.listen);
  if (given('api')) flags.push('--api', opts.api);
  if (opts.bootstrap) flags.push('--bootstrap', opts.bootstrap);
  if (!opts.mdns) flags.push('--no-mdns');
  return flags;
}

export function registerKeeperCommand(program: Command, home: () => string): void {
  program
    .command('keeper')
    .description('run an always-on keeper: a DHT bootstrap node and a blind relay for the spaces it joins (join them with an invite of role keeper)')
    .option('--detach', 'run in the background and return once it is ready')
    .option('--listen <host:port>', 'TCP address members connect to', '0.0.0.0:0')
    .option('--dht-port <port>', 'UDP port of its DHT nodes (this one and the next two; members bootstrap from them)', '49737')
    .option('--public-host <host>', 'the name or address members reach this machine at (default: its own addresses)')
    .option('--api <host:port>', 'local API address (port 0 = any free port)', '127.0.0.1:7420')
    .option('--bootstrap <host:port,...>', 'other DHT nodes to join (default: the public ones)')
    .option('--no-mdns', 'do not announce or look for nodes on the LAN')
    .option('--json', 'print JSON (with --detach)')
    .action(async (opts: KeeperOptions, command: Command) => {
      const flags = keeperDaemonFlags(opts, (name) => command.getOptionValueSource(name) === 'cli');
      if (!opts.detach) {
        process.exitCode = await runForeground(home(), flags);
        return;
      }
      const status = await startDetached(home(), flags);
      if (opts.json) printJson(status);
      else printLine(`Agora keeper "${status.name}" is running in the background.\n  DHT nodes: UDP ${opts.dhtPort} to ${Number(opts.dhtPort) + 2}\n  Join a space with: agora join CODE (an invite of role keeper)\n  Stop it with: agora stop`);
    });
}

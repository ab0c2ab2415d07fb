import { chmodSync, closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { availableParallelism, homedir } from 'node:os';
import pino, { type Logger as PinoLogger } from 'pino';
import { systemClock } from '../adapters/clock/system-clock.js';
import { NodeFs } from '../adapters/fs-node/index.js';
import { SwarmNetwork } from '../adapters/network-swarm/index.js';
import { ParcelWatcher } from '../adapters/watcher-parcel/index.js';
import { openSqliteStore } from '../adapters/store-sqlite/index.js';
import { AgoraError } from '../errors/index.js';
import type { Store } from '../ports/store.js';
import { WorkerHasher } from '../core/sync/chunking/worker-hasher.js';
import { AgoraNode } from './agora-node.js';
import { defaultHome, ensureHome, homePaths, initIdentity, loadIdentity, saveName } from './home.js';

/** The public HyperDHT bootstrap nodes, used when the user names none. */
export const PUBLIC_BOOTSTRAP = ['node1.hyperdht.org:49737', 'node2.hyperdht.org:49737', 'node3.hyperdht.org:49737'];
const LAST_PORT_KEY = 'network.lastListenPort';

export interface NodeConfig {
  home: string;
  /** TCP fast path; port 0 re-uses the last port if free, so members find us again after a restart. */
  listen: { host: string; port: number };
  /** null disables the DHT; undefined means the public bootstrap. */
  bootstrap: string[] | null | undefined;
  mdns: boolean;
  logger: PinoLogger;
  /** false: no file watcher (periodic rescans only). */
  watch?: boolean;
  /** Test-only fault injection: this node serves blocks with a flipped byte. */
  corruptServedBlocks?: boolean;
}

/** Builds a real node: SQLite in the home, the swarm network, the system clock. */
export async function openNode(config: NodeConfig, signal?: AbortSignal): Promise<AgoraNode> {
  ensureHome(config.home);
  const identity = loadIdentity(config.home) ?? initIdentity(config.home);
  const store = openSqliteStore(homePaths(config.home).database, { logger: config.logger });
  try {
    const network = await startNetwork(config, identity.keyPair, store, signal);
    const node = new AgoraNode({
      identity,
      store,
      network,
      clock: systemClock,
      logger: config.logger,
      defaultSpaceDir: (name) => join(spacesRoot(config.home), safeDirName(name)),
      saveName: (name) => saveName(config.home, identity, name),
      fs: new NodeFs(),
      watcher: config.watch === false ? null : new ParcelWatcher(),
      corruptServedBlocks: config.corruptServedBlocks,
      versionRetentionMs: versionRetentionFromEnv(),
      // FastCDC + SHA-256 of big files on the other cores, so the main thread keeps serving.
      hasher: new WorkerHasher({ threads: Math.min(4, availableParallelism()) }),
    });
    await node.start(signal);
    return node;
  } catch (err) {
    store.close();
    throw err;
  }
}

async function startNetwork(config: NodeConfig, keyPair: { publicKey: Buffer; secretKey: Buffer }, store: Store, signal?: AbortSignal) {
  const bootstrap = config.bootstrap === undefined ? PUBLIC_BOOTSTRAP : config.bootstrap;
  const make = (port: number) =>
    new SwarmNetwork({ keyPair, listen: { host: config.listen.host, port }, bootstrap, mdns: config.mdns, logger: config.logger });
  const lastPort = store.settings.get<number>(LAST_PORT_KEY);
  let network: SwarmNetwork | null = null;
  if (config.listen.port === 0 && lastPort) {
    const candidate = make(lastPort);
    try {
      await candidate.start(signal);
      network = candidate;
    } catch {
      await candidate.close();
    }
  }
  if (!network) {
    network = make(config.listen.port);
    try {
      await network.start(signal);
    } catch (err) {
      await network.close();
      throw new AgoraError('CONFLICT', `Cannot listen on ${config.listen.host}:${config.listen.port} (${(err as Error).message}). Choose another --listen address.`, { cause: err });
    }
  }
  const port = Number(network.addresses()[0]?.split(':').pop());
  if (port > 0) store.settings.set(LAST_PORT_KEY, port);
  return network;
}

/** AGORA_VERSIONS_DAYS: days replaced and deleted files are kept (default 30; 0 keeps none beyond the next rescan). */
function versionRetentionFromEnv(): number | undefined {
  const raw = process.env.AGORA_VERSIONS_DAYS;
  if (raw === undefined || raw === '') return undefined;
  const days = Number(raw);
  if (!Number.isFinite(days) || days < 0) throw new AgoraError('BAD_REQUEST', `AGORA_VERSIONS_DAYS must be a number of days, not "${raw}".`);
  return days * 24 * 3600_000;
}

/** The default home keeps spaces in ~/Agora; any other home keeps them inside itself. */
function spacesRoot(home: string): string {
  return home === defaultHome() && !process.env.AGORA_HOME ? join(homedir(), 'Agora') : join(home, 'spaces');
}

function safeDirName(name: string): string {
  const cleaned = name.replace(/[<>:"/\\|?*\u0000-\u001f]/g, '_').replace(/[. ]+$/, '');
  return cleaned.length > 0 && cleaned !== '..' && cleaned !== '.' ? cleaned : 'space';
}

export function createLogger(home: string | null, level = process.env.AGORA_LOG_LEVEL ?? 'info'): PinoLogger {
  if (home === null) return pino({ level });
  const file = homePaths(home).log;
  closeSync(openSync(file, 'a', 0o600)); // the log names peers and spaces: keep it private
  chmodSync(file, 0o600);
  return pino({ level }, pino.destination({ dest: file, sync: false, mkdir: true }));
}

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
import { WorkerHasher } from '../adapters/hasher-worker/worker-hasher.js';
import { AgoraNode } from './agora-node.js';
import { defaultHome, ensureHome, homePaths, initIdentity, loadIdentity, saveName } from './home.js';
import { loadSettings, parseHostPort, PUBLIC_BOOTSTRAP, resolveStart, type StartFlags, type StartValues } from './node-settings.js';

const LAST_PORT_KEY = 'network.lastListenPort';

export interface NodeConfig {
  home: string;
  /** What `agora start` was given; the rest comes from the saved settings (see node-settings.ts). */
  flags: StartFlags;
  logger: PinoLogger;
  /** false: no file watcher (periodic rescans only). */
  watch?: boolean;
  /** Test-only fault injection: this node serves blocks with a flipped byte. */
  corruptServedBlocks?: boolean;
  /** Run as a keeper (agora keeper): DHT node on a fixed UDP port, blind relay. */
  keeper?: { dhtPort: number; publicHost?: string };
}

/** Builds a real node: SQLite in the home, the swarm network, the system clock. */
export async function openNode(config: NodeConfig, signal?: AbortSignal): Promise<AgoraNode> {
  ensureHome(config.home);
  const identity = loadIdentity(config.home) ?? initIdentity(config.home);
  const store = openSqliteStore(homePaths(config.home).database, { logger: config.logger });
  try {
    const started = resolveStart(config.flags, loadSettings(store.settings), process.env);
    const network = await startNetwork(started, config, identity.keyPair, store, signal);
    const node = new AgoraNode({
      identity,
      store,
      network,
      clock: systemClock,
      logger: config.logger,
      defaultSpaceDir: (name) => join(spacesRoot(config.home), safeDirName(name)),
      attachmentsDir: homePaths(config.home).attachments,
      saveName: (name) => saveName(config.home, identity, name),
      fs: new NodeFs(),
      watcher: config.watch === false ? null : new ParcelWatcher(),
      corruptServedBlocks: config.corruptServedBlocks,
      versionRetentionMs: started.values.versionRetentionDays * 24 * 3600_000,
      rescanIntervalMs: started.values.rescanIntervalMinutes * 60_000,
      started,
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

async function startNetwork(started: StartValues, config: NodeConfig, keyPair: { publicKey: Buffer; secretKey: Buffer }, store: Store, signal?: AbortSignal) {
  const { values } = started;
  // null disables the DHT; an empty list means the public bootstrap nodes. A keeper is a DHT node: always on.
  const { keeper } = config;
  const bootstrap = !values.dht && !keeper ? null : values.bootstrap.length > 0 ? values.bootstrap : PUBLIC_BOOTSTRAP;
  const listen = parseHostPort(values.listen, 'The listen address');
  const make = (port: number) =>
    new SwarmNetwork({ keyPair, listen: { host: listen.host, port }, bootstrap, mdns: values.mdns, logger: config.logger, ...(keeper ? { keeper } : {}) });
  const lastPort = store.settings.get<number>(LAST_PORT_KEY);
  let network: SwarmNetwork | null = null;
  if (listen.port === 0 && lastPort) {
    const candidate = make(lastPort);
    try {
      await candidate.start(signal);
      network = candidate;
    } catch {
      await candidate.close();
    }
  }
  if (!network) {
    network = make(listen.port);
    try {
      await network.start(signal);
    } catch (err) {
      await network.close();
      if (keeper && /EADDRINUSE|bind/i.test((err as Error).message)) {
        throw new AgoraError('CONFLICT', `Cannot open the keeper's DHT node on UDP port ${keeper.dhtPort} (${(err as Error).message}). Choose another with --dht-port PORT.`, { cause: err });
      }
      throw new AgoraError('CONFLICT', `Cannot listen on ${values.listen} (${(err as Error).message}). Choose another --listen address, or another listen address in the web app's settings.`, { cause: err });
    }
  }
  const port = Number(network.addresses()[0]?.split(':').pop());
  if (port > 0) store.settings.set(LAST_PORT_KEY, port);
  return network;
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

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { startApiServer, type ApiServer } from '../api/server.js';
import type { ApiInfoFile } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import type { AgoraNode } from '../node/agora-node.js';
import { ensureHome, homePaths, initIdentity, writePrivateFile } from '../node/home.js';
import { parseApiAddress, parseHostPort, type StartFlags } from '../node/node-settings.js';
import { createLogger, openNode } from '../node/open-node.js';
import { startHeapHeadroom } from '../platform/heap-headroom.js';
import { startIdleGc } from '../platform/idle-gc.js';
import { isAgoraNodeAlive } from '../platform/process-alive.js';

// Sync keeps many file operations (each with an fsync) in flight; libuv's default pool of 4
// threads would serialise them. Must be set before the first asynchronous fs call.
process.env.UV_THREADPOOL_SIZE ??= '16';

/**
 * The node process. The CLI starts it (`agora start`, `agora init`) and then talks to it
 * only through the HTTP API; this file is the only place where a node and its API meet.
 */
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    home: { type: 'string' },
    name: { type: 'string' },
    // No defaults here: what is not given comes from the saved settings (node-settings.ts).
    listen: { type: 'string' },
    api: { type: 'string' },
    bootstrap: { type: 'string' },
    'no-dht': { type: 'boolean' },
    'no-mdns': { type: 'boolean' },
    keeper: { type: 'boolean' },
    'dht-port': { type: 'string' },
    'public-host': { type: 'string' },
  },
});

const home = values.home!;
const paths = homePaths(home);

function fail(err: unknown): never {
  const code = err instanceof AgoraError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n');
  process.exit(1);
}

function runningPid(): number | null {
  if (!existsSync(paths.pid)) return null;
  const pid = Number(readFileSync(paths.pid, 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return isAgoraNodeAlive(pid) ? pid : null;
}

function apiToken(): string {
  if (existsSync(paths.token)) {
    const token = readFileSync(paths.token, 'utf8').trim();
    if (token.length >= 32) return token;
  }
  const token = randomBytes(32).toString('hex');
  writePrivateFile(paths.token, token + '\n');
  return token;
}

async function run(): Promise<void> {
  ensureHome(home);
  const other = runningPid();
  if (other !== null && other !== process.pid) {
    throw new AgoraError('NODE_ALREADY_RUNNING', `A node is already running for ${home} (pid ${other}). Stop it with: agora stop`);
  }
  writeFileSync(paths.pid, `${process.pid}\n`, { mode: 0o600 });
  const logger = createLogger(home);
  // Checked before anything opens, so that a bad flag fails fast with what is allowed.
  if (values.api !== undefined) parseApiAddress(values.api, '--api');
  if (values.listen !== undefined) parseHostPort(values.listen, '--listen');
  const flags: StartFlags = {
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...(values.api !== undefined ? { api: values.api } : {}),
    ...(values.bootstrap ? { bootstrap: values.bootstrap.split(',').map((s) => s.trim()).filter(Boolean) } : {}),
    ...(values['no-dht'] ? { noDht: true } : {}),
    ...(values['no-mdns'] ? { noMdns: true } : {}),
  };
  let apiAddress = values.api ?? '127.0.0.1:7420';
  let node: AgoraNode | null = null;
  let server: ApiServer | null = null;
  let stopping = false;
  let stopIdleGc = (): void => {};
  let stopHeapHeadroom = (): void => {};
  const stop = async (exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    stopIdleGc();
    stopHeapHeadroom();
    logger.info('stopping');
    rmSync(paths.apiInfo, { force: true });
    await server?.close().catch(() => {});
    await node?.close().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    rmSync(paths.pid, { force: true });
    logger.flush();
    process.exit(exitCode);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  try {
    node = await openNode({
      home,
      flags,
      logger,
      // Fault injection for the end-to-end tests only (a peer that serves corrupt blocks).
      corruptServedBlocks: process.env.AGORA_TEST_CORRUPT_BLOCKS === '1',
      ...(values.keeper
        ? { keeper: { dhtPort: Number(values['dht-port'] ?? 49737), ...(values['public-host'] ? { publicHost: values['public-host'] } : {}) } }
        : {}),
    });
    if (process.env.AGORA_TEST_CORRUPT_BLOCKS === '1') {
      logger.warn('AGORA_TEST_CORRUPT_BLOCKS=1: this node serves corrupt blocks on purpose (tests only); peers will refuse them');
    }
    apiAddress = node.settings.view().running.api;
    const api = parseApiAddress(apiAddress);
    server = await startApiServer({ node, host: '127.0.0.1', port: api.port, token: apiToken(), logger, requestStop: () => void stop() });
  } catch (err) {
    rmSync(paths.pid, { force: true });
    await node?.close().catch(() => {});
    const message = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
      ? new AgoraError('CONFLICT', `The API address ${apiAddress} is in use (another Agora node?). Choose another with --api 127.0.0.1:PORT (0 = any free port).`)
      : err;
    throw message;
  }
  const info: ApiInfoFile = { url: server.url, pid: process.pid, startedAt: new Date().toISOString() };
  writePrivateFile(paths.apiInfo, JSON.stringify(info) + '\n');
  const status = node.status();
  logger.info({ api: server.url, listen: status.listen, dht: status.dht }, 'node ready');
  stopHeapHeadroom = startHeapHeadroom();
  stopIdleGc = startIdleGc({
    onCollect: ({ beforeBytes, afterBytes, ms }) =>
      logger.debug({ heapBeforeMB: Math.round(beforeBytes / 2 ** 20), heapAfterMB: Math.round(afterBytes / 2 ** 20), ms: Math.round(ms) }, 'idle: heap collected'),
  });
  process.stdout.write(
    `Agora node "${status.name}" is running.\n` +
      `  Web app:   ${server.url}/\n` +
      `  Device id: ${status.deviceId}\n` +
      `  Listening: ${status.listen.join(', ') || '(none)'}\n` +
      `  Home:      ${home}\n` +
      `Stop it with Ctrl+C or: agora stop\n`,
  );
}

async function main(): Promise<void> {
  if (!values.home) throw new AgoraError('BAD_REQUEST', 'the daemon needs --home');
  const command = positionals[0] ?? 'run';
  if (command === 'init') {
    const identity = initIdentity(home, values.name);
    process.stdout.write(JSON.stringify({ deviceId: identity.deviceId, name: identity.name }) + '\n');
    return;
  }
  if (command === 'run') return run();
  throw new AgoraError('BAD_REQUEST', `unknown daemon command ${command}`);
}

main().catch(fail);

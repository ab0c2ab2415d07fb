import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApiClient } from '../client/api-client.js';
import type { ApiInfoFile, StatusResponse } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { isAgoraNodeAlive } from '../platform/process-alive.js';

/** The node runs in its own process (dist/daemon/main.js); the CLI starts it and then talks HTTP. */
const daemonPath = fileURLToPath(new URL('../daemon/main.js', import.meta.url));

export function daemonArgs(command: 'run' | 'init', home: string, flags: string[]): string[] {
  return [daemonPath, command, '--home', home, ...flags];
}

/** The node keeps many file operations in flight; libuv's default of 4 threads would serialise them. */
function daemonEnv(): NodeJS.ProcessEnv {
  return { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' };
}

/** Runs the daemon's `init` and returns what it printed. */
export function runInit(home: string, name: string | undefined): Promise<{ deviceId: string; name: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, daemonArgs('init', home, name ? ['--name', name] : []), { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code === 0) return resolve(JSON.parse(out) as { deviceId: string; name: string });
      reject(daemonError(err));
    });
  });
}

/** Runs the node in this terminal until it stops; returns its exit code. `onStart` runs once it is spawned. */
export function runForeground(home: string, flags: string[], onStart?: (running: () => boolean) => void): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, daemonArgs('run', home, flags), { stdio: ['ignore', 'inherit', 'pipe'], env: daemonEnv() });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
    process.on('SIGINT', forward('SIGINT'));
    process.on('SIGTERM', forward('SIGTERM'));
    let alive = true;
    child.on('error', reject);
    child.on('exit', (code) => {
      alive = false;
      if (code === 0 || code === null) return resolve(0);
      reject(daemonError(err));
    });
    onStart?.(() => alive);
  });
}

/** Starts the node in the background and waits until its API answers. */
export async function startDetached(home: string, flags: string[], timeoutMs = 30_000): Promise<StatusResponse> {
  mkdirSync(home, { recursive: true, mode: 0o700 });
  const errFile = join(home, 'node.err');
  const out = openSync(join(home, 'node.out'), 'w', 0o600);
  const err = openSync(errFile, 'w', 0o600);
  const child = spawn(process.execPath, daemonArgs('run', home, flags), { detached: true, stdio: ['ignore', out, err], env: daemonEnv() });
  closeSync(out);
  closeSync(err);
  let exited: number | null = null;
  child.on('exit', (code) => (exited = code ?? 1));
  child.unref();
  const deadline = Date.now() + timeoutMs;
  const infoFile = join(home, 'api.json');
  while (Date.now() < deadline) {
    if (exited !== null) throw daemonError(readFileSync(errFile, 'utf8'));
    if (existsSync(infoFile)) {
      const info = JSON.parse(readFileSync(infoFile, 'utf8')) as ApiInfoFile;
      if (info.pid === child.pid) {
        try {
          return await ApiClient.forHome(home).status();
        } catch {
          // not answering yet
        }
      }
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new AgoraError('TIMEOUT', `The node did not start within ${timeoutMs / 1000} s; see ${join(home, 'node.log')}.`);
}

/** Waits for a process to end. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAgoraNodeAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

function daemonError(stderr: string): Error {
  const last = stderr.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(last) as { error: { code: string; message: string } };
    return new AgoraError(parsed.error.code as 'INTERNAL', parsed.error.message);
  } catch {
    return new AgoraError('INTERNAL', `The node stopped unexpectedly: ${stderr.trim() || 'no message'}`);
  }
}

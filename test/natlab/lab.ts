// NAT lab for tests: network namespaces built by scripts/natlab.sh (root only).
//
//   const lab = await createLab('cone');
//   try {
//     const keeper = lab.exec('keeper', ['node', 'keeper.mjs']);
//     const r = await lab.run('a', ['node', '-e', '…']);
//   } finally {
//     await lab.destroy();
//   }
//
// Tests that need the lab call labAvailable() first and FAIL (not skip) with
// its `why`, so a CI that lost root does not go green silently.
import { execFile, execFileSync, spawn } from 'node:child_process';
import type { ChildProcess, SpawnOptions } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type LabVariant = 'cone' | 'symmetric-one' | 'symmetric-both' | 'lan';
/** inet: the "internet" bridge; lan: the bridge of the lan variant. */
export type LabHost = 'keeper' | 'a' | 'b' | 'ra' | 'rb' | 'inet' | 'lan';

export interface LabAddresses {
  /** The keeper on the lab internet (also .11–.13 on the same host, see keeperExtra). */
  keeper: string;
  keeperExtra: readonly string[];
  /** Host a / b: 10.1.0.2 / 10.2.0.2 behind ra / rb, or 192.168.77.2 / .3 on the lan variant. */
  a: string;
  b: string;
  /** WAN (public) address of the NAT in front of a / b; null on the lan variant. */
  natA: string | null;
  natB: string | null;
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface Lab {
  readonly prefix: string;
  readonly variant: LabVariant;
  readonly addresses: LabAddresses;
  /** Namespace name of a host (for `ip netns exec` by hand). */
  ns(host: LabHost): string;
  /** Spawns argv inside the host's namespace (`ip netns exec`). The caller owns the child. */
  exec(host: LabHost, argv: readonly string[], opts?: SpawnOptions): ChildProcess;
  /** Runs argv inside the host's namespace to completion; never rejects on a non-zero exit. */
  run(host: LabHost, argv: readonly string[], opts?: RunOptions): Promise<RunResult>;
  /** Removes every namespace of the lab (kills what still runs inside). Idempotent. */
  destroy(): Promise<void>;
}

export interface CreateLabOptions {
  signal?: AbortSignal;
  /** Extra environment for natlab.sh (NATLAB_WAN_HOPS, NATLAB_LAN_MCAST_ROUTE). */
  env?: NodeJS.ProcessEnv;
}

export const NATLAB_SCRIPT = fileURLToPath(new URL('../../scripts/natlab.sh', import.meta.url));
/** Every lab made here is named BASE + 4 random base36 chars. */
export const BASE_PREFIX = 'al';
const REGISTRY = join(tmpdir(), 'agora-natlab');
const HOW = 'the NAT lab needs Linux, root, iproute2 and iptables: run the tests as root (e.g. sudo -E npx vitest run test/natlab) and apt-get install -y iproute2 iptables';

export function labAvailable(): { ok: true } | { ok: false; why: string } {
  if (process.platform !== 'linux') return { ok: false, why: `not Linux (${process.platform}); ${HOW}` };
  if (process.getuid?.() !== 0) return { ok: false, why: `not running as root (uid ${process.getuid?.()}); ${HOW}` };
  for (const [tool, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
    ['bash', ['--version']],
  ] as const) {
    try {
      execFileSync(tool, args, { stdio: 'ignore' });
    } catch {
      return { ok: false, why: `${tool} not found or not working; ${HOW}` };
    }
  }
  return { ok: true };
}

function addressesOf(variant: LabVariant): LabAddresses {
  const keeperExtra = ['203.0.113.11', '203.0.113.12', '203.0.113.13'];
  if (variant === 'lan') {
    return { keeper: '203.0.113.10', keeperExtra, a: '192.168.77.2', b: '192.168.77.3', natA: null, natB: null };
  }
  return { keeper: '203.0.113.10', keeperExtra, a: '10.1.0.2', b: '10.2.0.2', natA: '203.0.113.101', natB: '203.0.113.102' };
}

function natlab(args: readonly string[], env?: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(NATLAB_SCRIPT, args, { env: { ...process.env, ...env }, timeout: 60_000 }, (err, _stdout, stderr) => {
      if (err) reject(new Error(`natlab.sh ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve();
    });
  });
}

/** Start time of a process (jiffies since boot), to tell a live owner from a recycled pid. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces: fields start after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const ME = `${process.pid} ${startTimeOf(process.pid) ?? '?'}`;

function ownerAlive(prefix: string): boolean {
  let owner: string;
  try {
    owner = readFileSync(join(REGISTRY, prefix), 'utf8').trim();
  } catch {
    return false; // no record: a crashed run that lost it, or a lab made by hand with our prefix
  }
  const [pid, start] = owner.split(' ');
  return pid !== undefined && startTimeOf(Number(pid)) === start;
}

function labPrefixesOnHost(): string[] {
  let out: string;
  try {
    out = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' });
  } catch {
    return [];
  }
  const re = new RegExp(`^(${BASE_PREFIX}[a-z0-9]{4})-[a-z]+\\b`);
  const found = new Set<string>();
  for (const line of out.split('\n')) {
    const m = re.exec(line);
    if (m?.[1]) found.add(m[1]);
  }
  return [...found];
}

/** Removes labs of BASE_PREFIX whose owning process is gone (crashed test runs). */
export async function removeStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  for (const prefix of labPrefixesOnHost()) {
    if (ownerAlive(prefix)) continue;
    await natlab(['down', prefix]);
    rmSync(join(REGISTRY, prefix), { force: true });
    removed.push(prefix);
  }
  // Records of labs that no longer exist.
  try {
    const live = new Set(labPrefixesOnHost());
    for (const f of readdirSync(REGISTRY)) {
      if (!live.has(f) && !ownerAlive(f)) rmSync(join(REGISTRY, f), { force: true });
    }
  } catch {
    /* no registry yet */
  }
  return removed;
}

// Labs of this process not destroyed yet; removed synchronously at exit.
const mine = new Set<string>();
let exitHook = false;
function hookExit(): void {
  if (exitHook) return;
  exitHook = true;
  process.on('exit', () => {
    for (const prefix of mine) {
      try {
        execFileSync(NATLAB_SCRIPT, ['down', prefix], { stdio: 'ignore' });
        rmSync(join(REGISTRY, prefix), { force: true });
      } catch {
        /* best effort: the next createLab removes it */
      }
    }
  });
}

function newPrefix(): string {
  const taken = new Set(labPrefixesOnHost());
  for (;;) {
    const p = BASE_PREFIX + Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
    if (!taken.has(p)) return p;
  }
}

export async function createLab(variant: LabVariant, opts: CreateLabOptions = {}): Promise<Lab> {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(avail.why);
  opts.signal?.throwIfAborted();
  await removeStaleLabs();

  const prefix = newPrefix();
  // Record the owner before the namespaces exist, so a concurrent createLab
  // (another vitest worker) never takes our half-built lab for a stale one.
  mkdirSync(REGISTRY, { recursive: true });
  writeFileSync(join(REGISTRY, prefix), ME + '\n');
  mine.add(prefix);
  hookExit();

  let destroying: Promise<void> | null = null;
  const destroy = (): Promise<void> => {
    destroying ??= (async () => {
      opts.signal?.removeEventListener('abort', onAbort);
      await natlab(['down', prefix]);
      mine.delete(prefix);
      rmSync(join(REGISTRY, prefix), { force: true });
    })();
    return destroying;
  };
  const onAbort = (): void => void destroy().catch(() => {});

  try {
    await natlab(['up', prefix, variant], opts.env);
  } catch (err) {
    await destroy().catch(() => {});
    throw err;
  }
  if (opts.signal?.aborted) {
    await destroy();
    opts.signal.throwIfAborted();
  }
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  const ns = (host: LabHost): string => `${prefix}-${host}`;
  const lab: Lab = {
    prefix,
    variant,
    addresses: addressesOf(variant),
    ns,
    exec(host, argv, spawnOpts = {}) {
      if (argv.length === 0) throw new Error('exec: empty argv');
      return spawn('ip', ['netns', 'exec', ns(host), ...argv], spawnOpts);
    },
    run(host, argv, runOpts = {}) {
      return new Promise((resolve) => {
        execFile(
          'ip',
          ['netns', 'exec', ns(host), ...argv],
          {
            timeout: runOpts.timeoutMs ?? 30_000,
            env: runOpts.env ?? process.env,
            cwd: runOpts.cwd,
            maxBuffer: 16 * 1024 * 1024,
            encoding: 'utf8',
          },
          (err, stdout, stderr) => {
            if (!err) return resolve({ code: 0, signal: null, stdout, stderr });
            const e = err as NodeJS.ErrnoException & { code?: number | string; signal?: NodeJS.Signals | null };
            resolve({
              code: typeof e.code === 'number' ? e.code : null,
              signal: e.signal ?? null,
              stdout,
              stderr: stderr || e.message,
            });
          },
        );
      });
    },
    destroy,
  };
  return lab;
}

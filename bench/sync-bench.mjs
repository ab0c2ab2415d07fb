#!/usr/bin/env node
/* global process, console, fetch, setTimeout, performance, AbortSignal */
/**
 * `npm run bench`: Agora folder sync A -> B over loopback on the five datasets of the Syncthing
 * baseline harness (../shared/bench/syncthing), then (interleaved, same rounds) Syncthing itself
 * through that harness's run.sh when `syncthing` is on PATH; prints one markdown table with both
 * and the ratio Agora/Syncthing. Method and caveats: docs/benchmarks.md.
 *
 * Environment:
 *   BENCH_DATASETS   big,small,insert,append,rescan (comma or space separated)
 *   BENCH_ROUNDS     3; the median of the verified rounds is reported
 *   BENCH_TIMEOUT    600 s: the timed phase (t0..t1) of one measurement
 *   BENCH_SETUP_TIMEOUT 1800 s: each untimed phase (connect, initial sync of the base data set)
 *   BENCH_SYNCTHING  1; 0 = Agora only
 *   BENCH_BUILD      1: `npm run build` first; 0 = use dist/ as it is
 *   BENCH_FIRST      agora: the product that runs first in odd rounds (syncthing: the other way round)
 *   BENCH_KEEP_GOING 0: after a timeout the dataset's remaining Agora rounds are skipped; 1 = try them
 *   BENCH_ROOT       /tmp/agora-bench (wiped per run; never inside a git checkout)
 *   STB_HARNESS      ../shared/bench/syncthing (relative to the repo root)
 *   STB_ROOT         /tmp/stbench (the harness's dataset cache and Syncthing homes)
 *   BENCH_POLL       0.1 s
 * Results: bench/results/<session>-agora.jsonl, <session>-syncthing.jsonl (the harness's own
 * runs.jsonl, redirected with STB_RESULTS), <session>.md (the table).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  appendFileSync, closeSync, cpSync, createReadStream, existsSync, mkdirSync, openSync, readFileSync,
  readdirSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync, writeSync,
} from 'node:fs';
import os from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const DATASETS = (env.BENCH_DATASETS ?? 'big,small,insert,append,rescan').split(/[\s,]+/).filter(Boolean);
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const TIMEOUT_S = Number(env.BENCH_TIMEOUT ?? 600);
const SETUP_TIMEOUT_S = Number(env.BENCH_SETUP_TIMEOUT ?? 1800);
const POLL_MS = Number(env.BENCH_POLL ?? 0.1) * 1000;
const WITH_SYNCTHING = (env.BENCH_SYNCTHING ?? '1') !== '0';
const BUILD = (env.BENCH_BUILD ?? '1') !== '0';
const KEEP_GOING = env.BENCH_KEEP_GOING === '1';
const FIRST = env.BENCH_FIRST ?? 'agora';
const ROOT = resolve(env.BENCH_ROOT ?? '/tmp/agora-bench');
const STB_ROOT = resolve(env.STB_ROOT ?? '/tmp/stbench');
const HARNESS = resolve(REPO, env.STB_HARNESS ?? '../shared/bench/syncthing');
const CACHE = join(STB_ROOT, 'cache');
const RESULTS = join(REPO, 'bench', 'results');
const SESSION = env.BENCH_SESSION ?? new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
const APP = join(ROOT, 'app'); // snapshot of bin/ + dist/ used for the whole session
const RUN = join(ROOT, 'run');
const KNOWN = ['big', 'small', 'insert', 'append', 'rescan'];
const MiB = 1 << 20;
const FOLDER = 'bench';
const SPACE = 'bench';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now() / 1000;
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (...a) => console.error(stamp(), ...a);

class Failure extends Error {}

// ------------------------------------------------------------------ datasets (harness cache)
function manifest(name) {
  const p = join(CACHE, `${name}.manifest.json`);
  if (!existsSync(p)) throw new Error(`${p} missing: run python3 ${HARNESS}/stbench.py gen`);
  return JSON.parse(readFileSync(p, 'utf8'));
}

function ensureCache() {
  const need = ['big', 'small', 'base256', 'insert_after', 'append_chunk', 'rescan', 'append_after'];
  if (need.every((n) => existsSync(join(CACHE, `${n}.manifest.json`)))) return;
  log(`building the dataset cache with ${HARNESS}/stbench.py gen (deterministic, once)`);
  const r = spawnSync('python3', [join(HARNESS, 'stbench.py'), 'gen'], { stdio: 'inherit', env: { ...env, STB_ROOT } });
  if (r.status !== 0) throw new Error('stbench.py gen failed');
}

const PLAN = {
  big: { base: 'big', after: 'big' },
  small: { base: 'small', after: 'small' },
  insert: { base: 'base256', initial: 'base256', after: 'insert_after' },
  append: { base: 'base256', initial: 'base256', after: 'append_after' },
  rescan: { base: 'rescan', initial: 'rescan', after: 'rescan' },
};

function sha256File(path) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 4 * MiB }).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
}

/** Like tree_manifest() in stbench.py; the engine's `.agora` folder at the top is skipped. */
async function verifyTree(root, man) {
  const files = new Map();
  const dirs = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs);
      if (dir === root && e.name === '.agora') continue;
      if (e.isDirectory()) {
        dirs.push(rel);
        walk(abs);
      } else files.set(rel, abs);
    }
  };
  walk(root);
  const want = man.files;
  const missing = Object.keys(want).filter((k) => !files.has(k));
  const extra = [...files.keys()].filter((k) => !(k in want));
  const bad = [];
  for (const [rel, abs] of files) {
    if (!(rel in want)) continue;
    const [size, sha] = want[rel];
    if (statSync(abs).size !== size) bad.push(rel);
    else if ((size <= 16 * MiB ? createHash('sha256').update(readFileSync(abs)).digest('hex') : await sha256File(abs)) !== sha) bad.push(rel);
  }
  const wantDirs = new Set(man.dirs);
  const dirDiff = dirs.filter((d) => !wantDirs.has(d)).length + man.dirs.filter((d) => !dirs.includes(d)).length;
  if (missing.length || extra.length || bad.length || dirDiff) {
    throw new Failure(`content mismatch in ${root}: missing=${missing.length} extra=${extra.length} differing=${bad.length} dirs=${dirDiff} e.g. ${[...missing.slice(0, 3), ...extra.slice(0, 3), ...bad.slice(0, 3)].join(', ')}`);
  }
}

// ------------------------------------------------------------------ process helpers
function sh(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 * MiB, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${(r.stderr || r.stdout || '').trim().slice(0, 2000)}`);
  return r.stdout;
}

function agora(home, args, timeoutS = 120) {
  const r = spawnSync(process.execPath, [join(APP, 'bin', 'agora.js'), '--home', home, ...args], { encoding: 'utf8', timeout: timeoutS * 1000 });
  if (r.status !== 0) throw new Failure(`agora ${args.join(' ')} (home ${home}) exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(0, 2000)}`);
  return r.stdout;
}

function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\S+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

function statusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function resetHwm(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

/** The daemon and its live descendants (zombies hold no memory and have no VmHWM). */
function procTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const c of childrenOf(out[i])) if (alive(c)) out.push(c);
  return out;
}

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ). */
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/**
 * CPU time (user + system, s) and page faults (minor, major) so far of the daemon and its live
 * descendants: with the seconds, they tell a slow machine (time without CPU) from a slow product.
 */
function cpuTree(pid) {
  const sum = { cpu: 0, minflt: 0, majflt: 0 };
  for (const p of procTree(pid)) {
    let stat;
    try {
      stat = readFileSync(`/proc/${p}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the command name, which is in parentheses and may hold spaces: state is [0].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    sum.minflt += Number(f[7]);
    sum.majflt += Number(f[9]);
    sum.cpu += (Number(f[11]) + Number(f[12])) / CLK_TCK;
  }
  return sum;
}

function cpuDelta(before, after) {
  return { cpu_s: Math.round((after.cpu - before.cpu) * 100) / 100, minflt: after.minflt - before.minflt, majflt: after.majflt - before.majflt };
}

function resetHwmTree(pid) {
  for (const p of procTree(pid)) resetHwm(p);
}

/** Peak RSS since the last reset, summed over the daemon and its live descendants. */
function hwmTree(pid) {
  return procTree(pid).reduce((sum, p) => sum + (statusKb(p, 'VmHWM') ?? 0), 0);
}

function childrenOf(ppid) {
  const out = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const rest = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ').pop().split(' ');
      if (Number(rest[1]) === ppid) out.push(Number(d));
    } catch {
      // gone
    }
  }
  return out;
}

function duKb(paths) {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) return 0;
  return sh('du', ['-skc', ...existing]).trim().split('\n').pop().split(/\s+/).map(Number)[0];
}

/**
 * Kernel TCP payload counters of the sockets that connect pid `a` to pid `b` (ss -tinp,
 * bytes_sent/bytes_received, as tcp_bytes() in stbench.py): the sockets of `a` whose peer
 * address is a local address of a socket of `b`. Keyed per socket so that deltas survive
 * sockets opening during the window (a socket that closes in the window loses its bytes).
 */
function tcpSockets(a, b) {
  const lines = sh('ss', ['-tinpH']).split('\n');
  const socks = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!/^\S/.test(line) || !line.includes('users:(')) continue;
    const cols = line.trim().split(/\s+/);
    const info = /^\s/.test(lines[i + 1] ?? '') ? lines[i + 1] : '';
    const num = (k) => Number(new RegExp(`\\b${k}:(\\d+)`).exec(info)?.[1] ?? 0);
    const pids = [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
    socks.push({ local: cols[3], peer: cols[4], pids, sent: num('bytes_sent'), recv: num('bytes_received'), retrans: num('bytes_retrans') });
  }
  const localsB = new Set(socks.filter((s) => s.pids.includes(b)).map((s) => s.local));
  const out = new Map();
  for (const s of socks) if (s.pids.includes(a) && localsB.has(s.peer)) out.set(`${s.local}>${s.peer}`, { sent: s.sent, recv: s.recv, retrans: s.retrans });
  return out;
}

function tcpDelta(t0, t1) {
  let sent = 0;
  let recv = 0;
  let retrans = 0;
  for (const [k, v] of t1) {
    const base = t0.get(k) ?? { sent: 0, recv: 0, retrans: 0 };
    sent += v.sent - base.sent;
    recv += v.recv - base.recv;
    retrans += v.retrans - base.retrans;
  }
  const closed = [...t0.keys()].filter((k) => !t1.has(k)).length;
  // bytes_sent counts retransmitted bytes too (A's side only: B's retransmits are not visible here).
  return { tcp_bytes: sent + recv, tcp_a_sent: sent, tcp_a_received: recv, tcp_a_retrans: retrans, sockets_t0: t0.size, sockets_t1: t1.size, sockets_closed: closed };
}

// ------------------------------------------------------------------ an Agora node
/** Nodes started and not yet stopped: stopped on SIGINT/SIGTERM. */
const LIVE = new Set();

class Node {
  constructor(name) {
    this.name = name;
    this.home = join(RUN, `home${name}`);
  }

  start() {
    agora(this.home, ['start', '--detach', '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0', '--no-dht', '--no-mdns', '--json']);
    const info = JSON.parse(readFileSync(join(this.home, 'api.json'), 'utf8'));
    this.pid = info.pid;
    LIVE.add(this);
    this.url = info.url;
    this.token = readFileSync(join(this.home, 'api-token'), 'utf8').trim();
  }

  async api(method, path, timeoutS = 30) {
    const r = await fetch(this.url + path, { method, headers: { authorization: `Bearer ${this.token}` }, signal: AbortSignal.timeout(timeoutS * 1000) });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path} on ${this.name}: HTTP ${r.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  }

  status(folderId) {
    return this.api('GET', `/api/v1/folders/${encodeURIComponent(folderId)}`);
  }

  /** Synchronous stop for signal handlers: SIGTERM (the daemon shuts down cleanly on it). */
  kill() {
    if (this.pid && alive(this.pid)) process.kill(this.pid, 'SIGTERM');
  }

  async stop() {
    LIVE.delete(this);
    if (!this.pid || !alive(this.pid)) return;
    const r = spawnSync(process.execPath, [join(APP, 'bin', 'agora.js'), '--home', this.home, 'stop'], { encoding: 'utf8', timeout: 90_000 });
    if (r.status !== 0) log(`agora stop ${this.name}: ${r.status ?? r.signal} ${(r.stderr || '').trim()}`);
    for (let i = 0; i < 300 && alive(this.pid); i++) await sleep(100);
    if (alive(this.pid)) {
      log(`node ${this.name} pid ${this.pid} still running; SIGTERM`);
      process.kill(this.pid, 'SIGTERM');
      for (let i = 0; i < 150 && alive(this.pid); i++) await sleep(100);
      if (alive(this.pid)) process.kill(this.pid, 'SIGKILL');
    }
  }

  storeKb() {
    const db = join(this.home, 'agora.db');
    return duKb([db, `${db}-wal`, `${db}-shm`]);
  }

  /** Warnings and errors of node.log (pino JSON, level >= 40), newest last. */
  logProblems(max = 8) {
    const p = join(this.home, 'node.log');
    if (!existsSync(p)) return { total: 0, distinct: [] };
    const out = [];
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      try {
        const j = JSON.parse(line);
        if (j.level >= 40) out.push(`${j.level >= 50 ? 'ERROR' : 'WARN'} ${j.msg}${j.err ? `: ${typeof j.err === 'string' ? j.err : j.err.message}` : ''}${j.path ? ` (${j.path})` : ''}`);
      } catch {
        // not JSON
      }
    }
    const counts = new Map();
    for (const l of out) counts.set(l, (counts.get(l) ?? 0) + 1);
    return { total: out.length, distinct: [...counts].slice(-max).map(([l, n]) => (n > 1 ? `${n}x ${l}` : l)) };
  }
}

async function waitFor(what, timeoutS, fn, intervalMs = 200) {
  const end = now() + timeoutS;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (err) {
      last = err.message;
    }
    if (now() > end) throw new Failure(`timeout (${timeoutS} s) waiting for ${what}; last: ${typeof last === 'string' ? last : JSON.stringify(last)?.slice(0, 1500)}`);
    await sleep(intervalMs);
  }
}

const brief = (s) => ({
  state: s.state, error: s.error, localFiles: s.localFiles, localBytes: s.localBytes, globalFiles: s.globalFiles,
  globalBytes: s.globalBytes, needFiles: s.needFiles, needBytes: s.needBytes,
  peers: s.peers?.map((p) => `${p.deviceId.slice(0, 8)}:${p.connected ? 'c' : '-'}${p.inSync ? 's' : '-'}`).join(','),
  problems: s.problems?.length ? s.problems.slice(0, 3) : undefined,
});

/** B has everything the dataset holds (an idle B that has not heard of the change does not count). */
const complete = (s, man) =>
  s.state === 'idle' && s.needFiles === 0 && s.needBytes === 0 && s.globalFiles === man.nfiles && s.globalBytes === man.file_bytes &&
  s.localFiles === s.globalFiles && s.localBytes === s.globalBytes;

/** Both idle, B complete for `man`, A sees B in sync; held for `quietS`. */
async function settle(A, B, folderId, man, timeoutS, quietS = 3) {
  let since = null;
  await waitFor('both idle and in sync (settle)', timeoutS, async () => {
    const [sa, sb] = await Promise.all([A.status(folderId), B.status(folderId)]);
    const ok = sa.state === 'idle' && complete(sb, man) && sa.peers.length > 0 && sa.peers.every((p) => p.inSync) && sb.peers.every((p) => p.inSync);
    if (!ok) {
      since = null;
      return { A: brief(sa), B: brief(sb) };
    }
    since ??= now();
    return now() - since >= quietS ? true : 'quiet period';
  }, 250);
}

function stageCopy(cacheName, stage) {
  sh('cp', ['-a', `${join(CACHE, cacheName)}/.`, `${stage}/`]);
}

function moveStageIn(stage, data) {
  for (const e of readdirSync(stage).sort()) renameSync(join(stage, e), join(data, e));
}

/** Events of node `n` (WebSocket /api/v1/events), timestamped on arrival. */
function subscribe(n) {
  const events = [];
  const ws = new WebSocket(n.url.replace(/^http/, 'ws') + '/api/v1/events', { headers: { authorization: `Bearer ${n.token}` } });
  const ready = new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  ws.on('message', (d) => {
    try {
      events.push({ t: now(), ...JSON.parse(String(d)) });
    } catch {
      // ignore
    }
  });
  return { events, ready, close: () => ws.close() };
}

// ------------------------------------------------------------------ one Agora measurement
async function runAgora(ds, round) {
  const plan = PLAN[ds];
  const man = ds === 'append' ? manifest('append_after') : manifest(plan.after);
  const man0 = manifest(plan.base);
  const rec = { product: 'agora', dataset: ds, round, session: SESSION, started: new Date().toISOString(), load_start: load(), trigger: 'watcher (no explicit scan call)' };
  rmSync(RUN, { recursive: true, force: true });
  const dataA = join(RUN, 'A', 'data');
  const stage = join(RUN, 'A', 'stage');
  const spaceA = join(RUN, 'A', 'space');
  const spaceB = join(RUN, 'B', 'space');
  for (const d of [dataA, stage, spaceA, spaceB]) mkdirSync(d, { recursive: true });
  const A = new Node('A');
  const B = new Node('B');
  const phase = (p) => {
    rec.phase = p;
    log(`agora ${ds} r${round}: ${p}`);
  };
  try {
    phase('start');
    A.start();
    B.start();
    rec.pidA = A.pid;
    rec.pidB = B.pid;
    agora(A.home, ['space', 'create', SPACE, '--dir', spaceA, '--json']);
    const folder = JSON.parse(agora(A.home, ['folder', 'add', '--space', SPACE, '--path', dataA, '--name', FOLDER, '--json']));
    const folderId = folder.folderId;
    const code = JSON.parse(agora(A.home, ['invite', '--space', SPACE, '--json'])).code;
    agora(B.home, ['join', code, '--dir', spaceB, '--json'], 180);
    const dataB = join(spaceB, FOLDER);
    rec.folderA = dataA;
    rec.folderB = dataB;
    phase('connect');
    await waitFor('A and B connected and idle', SETUP_TIMEOUT_S, async () => {
      const [sa, sb] = await Promise.all([A.status(folderId), B.status(folderId)]);
      const ok = sa.state === 'idle' && sb.state === 'idle' && sa.peers.some((p) => p.connected) && sb.peers.some((p) => p.connected);
      return ok || { A: brief(sa), B: brief(sb) };
    });
    await sleep(1000);
    rec.children = { A: childrenOf(A.pid).map((p) => `${p}${alive(p) ? '' : ' (zombie)'}`), B: childrenOf(B.pid).map((p) => `${p}${alive(p) ? '' : ' (zombie)'}`) };
    const sockets = tcpSockets(A.pid, B.pid);
    rec.sync_sockets = [...sockets.keys()];
    if (sockets.size === 0) throw new Failure('no TCP socket between the two daemons');

    if (plan.initial) {
      phase(`initial sync of ${plan.initial} (untimed)`);
      stageCopy(plan.initial, stage);
      sh('sync', []);
      const t = now();
      moveStageIn(stage, dataA);
      await waitFor(`initial sync of ${plan.initial} on B`, SETUP_TIMEOUT_S, async () => {
        const s = await B.status(folderId);
        return complete(s, man0) || brief(s);
      }, POLL_MS);
      rec.initial_seconds = Math.round((now() - t) * 1000) / 1000;
      await settle(A, B, folderId, man0, SETUP_TIMEOUT_S);
      log(`agora ${ds} r${round}: initial sync ${rec.initial_seconds} s`);
    }

    // ---- stage the change (untimed)
    let action;
    if (ds === 'big' || ds === 'small') {
      stageCopy(plan.base, stage);
      action = () => moveStageIn(stage, dataA);
    } else if (ds === 'insert') {
      stageCopy('insert_after', stage);
      const t = new Date();
      utimesSync(join(stage, 'file256.bin'), t, t); // a real edit gets a new mtime
      action = () => moveStageIn(stage, dataA);
    } else if (ds === 'append') {
      const chunk = readFileSync(join(CACHE, 'append_chunk', 'chunk.bin'));
      action = () => {
        const fd = openSync(join(dataA, 'file256.bin'), 'a');
        writeSync(fd, chunk);
        closeSync(fd);
      };
    }
    sh('sync', []);
    rec.load_t0 = load();

    if (ds === 'rescan') {
      // Timed: POST /folders/{id}/rescan on A (what `agora folder rescan` sends; it answers 202 at
      // once) until A's folder.state event goes scanning -> idle (events WebSocket, opened before t0).
      phase('timed rescan');
      const sub = subscribe(A);
      await sub.ready;
      const sbBefore = await B.status(folderId);
      for (const n of [A, B]) resetHwmTree(n.pid);
      const k0 = tcpSockets(A.pid, B.pid);
      const c0 = [cpuTree(A.pid), cpuTree(B.pid)];
      const t0 = now();
      await A.api('POST', `/api/v1/folders/${encodeURIComponent(folderId)}/rescan`);
      const tPost = now();
      let tScan = null;
      let t1 = null;
      await waitFor('A rescan scanning -> idle', TIMEOUT_S, async () => {
        for (const e of sub.events) {
          if (e.type !== 'folder.state' || e.data?.folderId !== folderId) continue;
          if (e.data.state === 'scanning' && tScan === null) tScan = e.t;
          else if (tScan !== null && e.t >= tScan && (e.data.state === 'idle' || e.data.state === 'error')) {
            if (e.data.state === 'error') throw new Failure(`A went to error after the rescan: ${e.data.error}`);
            t1 = e.t;
            return true;
          }
        }
        return `events so far: ${sub.events.filter((e) => e.type === 'folder.state').map((e) => e.data.state).join(',')}`;
      }, 20);
      const tSeen = now();
      sub.close();
      const k1 = tcpSockets(A.pid, B.pid);
      Object.assign(rec, {
        seconds: Math.round((t1 - t0) * 1000) / 1000,
        post_seconds: Math.round((tPost - t0) * 1000) / 1000,
        scan_started_after: Math.round((tScan - t0) * 1000) / 1000,
        detect_lag: Math.round((tSeen - t1) * 1000) / 1000,
        rssA_kb: hwmTree(A.pid),
        rssB_kb: hwmTree(B.pid),
        processesA: procTree(A.pid).length,
        processesB: procTree(B.pid).length,
        ...tcpDelta(k0, k1),
        cpuA: cpuDelta(c0[0], cpuTree(A.pid)),
        cpuB: cpuDelta(c0[1], cpuTree(B.pid)),
      });
      const sbAfter = await B.status(folderId);
      rec.b_unchanged = JSON.stringify(brief(sbBefore)) === JSON.stringify(brief(sbAfter));
    } else {
      phase('timed sync');
      for (const n of [A, B]) resetHwmTree(n.pid);
      const k0 = tcpSockets(A.pid, B.pid);
      const c0 = [cpuTree(A.pid), cpuTree(B.pid)];
      const t0 = now();
      action();
      let polls = 0;
      let last;
      const end = t0 + TIMEOUT_S;
      for (;;) {
        last = await B.status(folderId);
        polls++;
        if (complete(last, man)) break;
        if (now() > end) {
          const sa = await A.status(folderId).catch((e) => e.message);
          throw new Failure(`B not in sync after ${TIMEOUT_S} s; B: ${JSON.stringify(brief(last))}; A: ${JSON.stringify(typeof sa === 'string' ? sa : brief(sa))}`);
        }
        await sleep(POLL_MS);
      }
      const t1 = now();
      const k1 = tcpSockets(A.pid, B.pid);
      Object.assign(rec, {
        seconds: Math.round((t1 - t0) * 1000) / 1000,
        polls,
        rssA_kb: hwmTree(A.pid),
        rssB_kb: hwmTree(B.pid),
        processesA: procTree(A.pid).length,
        processesB: procTree(B.pid).length,
        ...tcpDelta(k0, k1),
        cpuA: cpuDelta(c0[0], cpuTree(A.pid)),
        cpuB: cpuDelta(c0[1], cpuTree(B.pid)),
      });
    }
    rec.load_t1 = load();
    log(
      `agora ${ds} r${round}: ${rec.seconds} s, tcp ${rec.tcp_bytes} B, rss A ${rec.rssA_kb} kB B ${rec.rssB_kb} kB, ` +
        `cpu A ${rec.cpuA.cpu_s} s B ${rec.cpuB.cpu_s} s, minflt A ${rec.cpuA.minflt} B ${rec.cpuB.minflt}, load ${rec.load_t1.join(' ')}`,
    );
    phase('verify');
    await verifyTree(dataB, man);
    await verifyTree(dataA, man);
    rec.verified = true;
    rec.versions_dir_B_kb = duKb([join(dataB, '.agora')]);
  } catch (err) {
    rec.failed = true;
    rec.reason = `${rec.phase}: ${err.message}`;
    rec.timeout = /timeout|not in sync after/i.test(err.message);
    log(`agora ${ds} r${round} FAILED: ${rec.reason}`);
  } finally {
    for (const n of [A, B]) {
      try {
        rec[`log${n.name}`] = n.logProblems();
      } catch {
        // ignore
      }
    }
    // Copy the logs out before the next run wipes the homes.
    const logDir = join(ROOT, 'logs');
    mkdirSync(logDir, { recursive: true });
    for (const n of [A, B]) {
      await n.stop().catch((e) => log(`stop ${n.name}: ${e.message}`));
      const p = join(n.home, 'node.log');
      if (existsSync(p)) {
        const to = join(logDir, `${SESSION}-${ds}-r${round}-${n.name}.log`);
        cpSync(p, to);
        rec[`logfile${n.name}`] = to;
      }
    }
    rec.storeA_kb = A.storeKb();
    rec.storeB_kb = B.storeKb();
  }
  return rec;
}

// ------------------------------------------------------------------ Syncthing via the harness
function runSyncthing(ds, round) {
  const stResults = join(RESULTS, `${SESSION}-syncthing`);
  mkdirSync(stResults, { recursive: true });
  const rec = { product: 'syncthing', dataset: ds, round, session: SESSION, load_start: load() };
  log(`syncthing ${ds} r${round}: ${HARNESS}/run.sh ${ds}`);
  const r = spawnSync(join(HARNESS, 'run.sh'), [ds], {
    encoding: 'utf8',
    env: { ...env, STB_ROOT, STB_RESULTS: stResults, STB_SESSION: SESSION, STB_TIMEOUT: String(Math.max(TIMEOUT_S, SETUP_TIMEOUT_S)) },
    timeout: (TIMEOUT_S + 2 * SETUP_TIMEOUT_S) * 1000,
    maxBuffer: 64 * MiB,
  });
  rec.load_end = load();
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('dataset='));
  if (r.status !== 0 || !line) {
    rec.failed = true;
    rec.reason = `run.sh exited ${r.status ?? r.signal}: ${(r.stderr ?? '').trim().split('\n').slice(-5).join(' | ')}`;
    spawnSync('python3', [join(HARNESS, 'stbench.py'), 'stop'], { env: { ...env, STB_ROOT }, stdio: 'ignore' });
    log(`syncthing ${ds} r${round} FAILED: ${rec.reason}`);
    return rec;
  }
  rec.line = line;
  const runs = readFileSync(join(stResults, 'runs.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const d = runs.filter((x) => x.dataset === ds && x.session === SESSION).pop();
  Object.assign(rec, {
    seconds: d.seconds, bytes_sent: d.bytes_sent, tcp_bytes: d.tcp_bytes, rssA_kb: d.rssA_kb, rssB_kb: d.rssB_kb,
    monitorA_kb: d.monitorA_kb, monitorB_kb: d.monitorB_kb, storeA_kb: d.dbA_kb, storeB_kb: d.dbB_kb, verified: d.verified === true,
    initial_seconds: d.initial?.seconds, tag: d.tag,
  });
  log(`syncthing ${ds} r${round}: ${rec.seconds} s, tcp ${rec.tcp_bytes} B, rss A ${rec.rssA_kb} kB B ${rec.rssB_kb} kB, load ${rec.load_end.join(' ')}`);
  return rec;
}

// ------------------------------------------------------------------ report
const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};
/** The median of two loads is their mean: 2.5599999999999996 in a table reads badly. */
const round2 = (x) => (x === null ? null : Math.round(x * 100) / 100);
const fmtS = (x) => (x === null ? '–' : x.toFixed(2));
const fmtInt = (x) => (x === null ? '–' : Math.round(x).toLocaleString('en-US'));
const fmtMiB = (kb) => (kb === null ? '–' : `${(kb / 1024).toFixed(1)} MiB`);
const ratio = (a, b) => (a === null || b === null ? '–' : b === 0 ? (a === 0 ? '1.00' : '∞') : (a / b).toFixed(2));

function summarize(recs) {
  const agg = (product, ds) => {
    const all = recs.filter((r) => r.product === product && r.dataset === ds);
    const ok = all.filter((r) => r.verified && !r.failed);
    return {
      n: ok.length,
      of: all.length,
      seconds: median(ok.map((r) => r.seconds)),
      tcp: median(ok.map((r) => r.tcp_bytes)),
      rss: median(ok.map((r) => r.rssA_kb + r.rssB_kb)),
      store: median(ok.map((r) => r.storeA_kb + r.storeB_kb)),
      runs: ok.map((r) => r.seconds.toFixed(2)).join('/'),
      load: round2(median(all.map((r) => (r.load_t0 ?? r.load_start)[0]))),
      fails: all.filter((r) => r.failed || !r.verified).map((r) => `r${r.round}: ${r.reason ?? 'not verified'}`),
    };
  };
  const lines = [
    '| dataset | Agora s | Syncthing s | ratio | Agora tcp bytes | Syncthing tcp bytes | ratio | Agora peak RSS (A+B) | Syncthing RSS (A+B) | ratio | Agora store (A+B) | Syncthing DB (A+B) | n Agora / Syncthing | runs Agora ; Syncthing (s) | load 1m at start (Agora / Syncthing) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  const failures = [];
  for (const ds of DATASETS) {
    const a = agg('agora', ds);
    const s = agg('syncthing', ds);
    const failedCell = (x, v, f) => (x.n === 0 && x.of > 0 ? 'failed' : f(v));
    lines.push(`| ${ds} | ${failedCell(a, a.seconds, fmtS)} | ${failedCell(s, s.seconds, fmtS)} | ${ratio(a.seconds, s.seconds)} | ${failedCell(a, a.tcp, fmtInt)} | ${failedCell(s, s.tcp, fmtInt)} | ${ratio(a.tcp, s.tcp)} | ${failedCell(a, a.rss, fmtMiB)} | ${failedCell(s, s.rss, fmtMiB)} | ${ratio(a.rss, s.rss)} | ${fmtMiB(a.store)} | ${fmtMiB(s.store)} | ${a.n}/${a.of} ; ${s.n}/${s.of} | ${a.runs || '–'} ; ${s.runs || '–'} | ${a.load ?? '–'} / ${s.load ?? '–'} |`);
    for (const f of a.fails) failures.push(`- Agora ${ds} ${f}`);
    for (const f of s.fails) failures.push(`- Syncthing ${ds} ${f}`);
  }
  return { table: lines.join('\n'), failures };
}

// ------------------------------------------------------------------ main
function snapshotApp() {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  cpSync(join(REPO, 'dist'), join(APP, 'dist'), { recursive: true });
  cpSync(join(REPO, 'bin'), join(APP, 'bin'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(APP, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(APP, 'node_modules'));
}

function gitState() {
  const g = (args) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['-C', REPO, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map((l) => l.slice(3));
  return { commit: g(['rev-parse', 'HEAD']), dirty, diffSha: createHash('sha256').update(g(['diff', 'HEAD', '--', 'src'])).digest('hex').slice(0, 12) };
}

function machine() {
  const cpu = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1];
  const mem = Math.round(os.totalmem() / 2 ** 30);
  const fsOf = (p) => spawnSync('df', ['-T', p], { encoding: 'utf8' }).stdout.trim().split('\n').pop().split(/\s+/).slice(0, 2).join(' ');
  return { nproc: os.cpus().length, cpu, memGiB: mem, kernel: os.release(), node: process.version, fsBench: fsOf(ROOT), fsCache: fsOf(CACHE) };
}

/**
 * One benchmark at a time on this machine: a second instance would wipe the first one's run
 * directory and fight over the Syncthing harness's fixed homes and ports. The lock lives outside
 * BENCH_ROOT so that wiping the root never removes it; a lock of a dead process is taken over.
 */
const LOCK = join(dirname(ROOT), `${ROOT.split('/').pop()}.lock`);

function takeLock() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      const release = () => {
        try {
          if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK, { force: true });
        } catch {
          // already gone
        }
      };
      process.on('exit', release);
      for (const sig of ['SIGINT', 'SIGTERM']) {
        process.on(sig, () => {
          for (const n of LIVE) n.kill();
          process.exit(130);
        });
      }
      return;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(LOCK, 'utf8').trim());
      let cmd = '';
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
      } catch {
        // not running
      }
      if (pid && alive(pid) && cmd.includes('sync-bench')) {
        throw new Error(`another benchmark is running (pid ${pid}, lock ${LOCK}); wait for it or stop it`, { cause: err });
      }
      rmSync(LOCK, { force: true }); // stale
    }
  }
  throw new Error(`could not take ${LOCK}`);
}

async function main() {
  takeLock();
  for (const ds of DATASETS) if (!KNOWN.includes(ds)) throw new Error(`unknown dataset ${ds} (one of ${KNOWN.join(', ')})`);
  if (FIRST !== 'agora' && FIRST !== 'syncthing') throw new Error(`BENCH_FIRST is agora or syncthing, not ${FIRST}`);
  if (existsSync(join(ROOT, '.git')) || ROOT.startsWith(REPO + '/') || ROOT === REPO) throw new Error('BENCH_ROOT must be outside the checkout');
  if (os.userInfo().uid !== 0) log('note: not root; clear_refs on the daemons works for own processes only');
  mkdirSync(RESULTS, { recursive: true });
  if (!existsSync(join(RESULTS, '.gitignore'))) writeFileSync(join(RESULTS, '.gitignore'), '*\n!.gitignore\n');
  const syncthing = WITH_SYNCTHING && spawnSync('sh', ['-c', 'command -v syncthing'], { encoding: 'utf8' }).status === 0;
  if (WITH_SYNCTHING && !syncthing) log('syncthing is not on PATH: Agora only (apt-get install -y syncthing)');
  if (BUILD) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
    if (b.status !== 0) log(`WARNING: npm run build exited ${b.status}; measuring the dist/ it left:\n${(b.stdout + b.stderr).trim().split('\n').slice(-15).join('\n')}`);
  }
  snapshotApp();
  ensureCache();
  if (syncthing && !existsSync(join(STB_ROOT, 'homeA', 'config.xml'))) sh(join(HARNESS, 'setup.sh'), [], { stdio: 'inherit', env: { ...env, STB_ROOT } });
  const meta = { type: 'session', session: SESSION, datasets: DATASETS, rounds: ROUNDS, timeoutS: TIMEOUT_S, setupTimeoutS: SETUP_TIMEOUT_S, pollMs: POLL_MS, git: gitState(), machine: machine(), load: load(), syncthing: syncthing ? sh('syncthing', ['--version']).trim() : null };
  const out = join(RESULTS, `${SESSION}-agora.jsonl`);
  appendFileSync(out, JSON.stringify(meta) + '\n');
  log(`session ${SESSION}: ${DATASETS.join(',')} x ${ROUNDS} rounds; Agora ${meta.git.commit.slice(0, 10)}${meta.git.dirty.length ? ` + uncommitted ${meta.git.dirty.join(', ')}` : ''}; load ${meta.load.join(' ')}`);
  const recs = [];
  const gaveUp = new Set();
  for (let round = 1; round <= ROUNDS; round++) {
    for (const ds of DATASETS) {
      const agoraRun = async () => {
        const r = gaveUp.has(ds)
          ? { product: 'agora', dataset: ds, round, session: SESSION, failed: true, skipped: true, reason: 'skipped: an earlier round timed out (BENCH_KEEP_GOING=1 runs it anyway)', load_start: load() }
          : await runAgora(ds, round);
        recs.push(r);
        appendFileSync(out, JSON.stringify(r) + '\n');
        if (r.failed && r.timeout && !KEEP_GOING) gaveUp.add(ds);
      };
      const syncthingRun = async () => {
        if (!syncthing) return;
        const s = runSyncthing(ds, round);
        recs.push(s);
        appendFileSync(join(RESULTS, `${SESSION}-syncthing.jsonl`), JSON.stringify(s) + '\n');
      };
      // Whichever product runs first in a round meets the machine as the previous dataset (or a
      // pause) left it; the other runs right after the first one's I/O. So the order alternates.
      const agoraFirst = (round % 2 === 1) === (FIRST === 'agora');
      for (const run of agoraFirst ? [agoraRun, syncthingRun] : [syncthingRun, agoraRun]) await run();
    }
  }
  const { table, failures } = summarize(recs);
  const text = [
    `Agora ${meta.git.commit.slice(0, 10)}${meta.git.dirty.length ? ` (+ uncommitted changes in ${meta.git.dirty.length} src files, diff ${meta.git.diffSha})` : ''} vs ${meta.syncthing ?? 'no Syncthing'}; session ${SESSION}; medians of the verified runs of ${ROUNDS} round(s)`,
    `machine: ${meta.machine.nproc} cores ${meta.machine.cpu}, ${meta.machine.memGiB} GiB, ${meta.machine.fsBench}, Node ${meta.machine.node}; load average at the end: ${load().join(' ')} (uptime)`,
    'Agora: change noticed by its file watcher (no explicit scan call); rescan: POST /folders/{id}/rescan on A until A reports scanning -> idle. Syncthing: harness run.sh (REST scan at t0). RSS: VmHWM since t0, Syncthing workers only. Store: du of agora.db(-wal,-shm) / index-v0.14.0.db after stop.',
    '',
    table,
    '',
    ...(failures.length ? ['Failures:', ...failures, ''] : []),
  ].join('\n');
  writeFileSync(join(RESULTS, `${SESSION}.md`), text + '\n');
  console.log(text);
  log(`raw results: ${out}${syncthing ? `, ${join(RESULTS, `${SESSION}-syncthing.jsonl`)}` : ''}; table: ${join(RESULTS, `${SESSION}.md`)}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

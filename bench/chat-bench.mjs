#!/usr/bin/env node
/* global process, console, fetch, setTimeout, clearTimeout, performance, AbortSignal */
/**
 * Chat benchmark (issue 6): two real Agora daemons A and B on loopback, one space.
 *   1. latency: A posts BENCH_CHAT_LATENCY messages to `general` one after another (each waits for
 *      B's `chat.message` event before the next; 20 warm-up posts are not counted); latency = from
 *      just before A's POST to B's event for that message id. p50, p99, max.
 *   2. backlog: B is stopped (`agora stop`), A posts BENCH_CHAT_MESSAGES messages as fast as its API
 *      takes them, B is started again; time from B's `agora start` until B holds all of them
 *      (unread count of `general` on B, polled), then both histories are compared.
 * Method and figures: docs/benchmarks.md, section "Chat".
 *
 * `node bench/chat-bench.mjs` runs the chat benchmark alone. `npm run bench` runs
 * `node bench/chat-bench.mjs --with-sync`: build once, then bench/sync-bench.mjs (with the datasets
 * of BENCH_DATASETS other than `chat`; skipped when `chat` is the only one), then the chat benchmark.
 *
 * Environment:
 *   BENCH_CHAT              1; 0 = skip the chat benchmark (with --with-sync: only the sync benchmark runs)
 *   BENCH_CHAT_MESSAGES     10000: the backlog
 *   BENCH_CHAT_LATENCY      300: measured posts (after 20 warm-up posts)
 *   BENCH_CHAT_CONCURRENCY  4: backlog POSTs in flight at once on A's API
 *   BENCH_CHAT_TIMEOUT      1800 s: each phase (posting the backlog; B catching up)
 *   BENCH_CHAT_ROOT         /tmp/agora-chat-bench (its run/ and app/ are wiped; never inside the checkout)
 *   BENCH_CHAT_KEEP         0; 1 = keep the nodes' homes after the run (else only the logs are kept)
 *   BENCH_BUILD             1: `npm run build` first; 0 = use dist/ as it is
 *   BENCH_POLL              0.1 s: how often B's unread count is polled
 *   BENCH_SESSION           date and time: results go to bench/results/<session>-chat.json
 *   BENCH_DATASETS          (--with-sync only) the sync benchmark's datasets; `chat` is taken out
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const env = process.env;
const WITH_SYNC = process.argv.includes('--with-sync');
const RUN_CHAT = (env.BENCH_CHAT ?? '1') !== '0';
const MESSAGES = Number(env.BENCH_CHAT_MESSAGES ?? 10_000);
const LATENCY_N = Number(env.BENCH_CHAT_LATENCY ?? 300);
const WARMUP = 20;
const CONCURRENCY = Math.max(1, Number(env.BENCH_CHAT_CONCURRENCY ?? 4));
const TIMEOUT_S = Number(env.BENCH_CHAT_TIMEOUT ?? 1800);
const POLL_MS = Number(env.BENCH_POLL ?? 0.1) * 1000;
const BUILD = (env.BENCH_BUILD ?? '1') !== '0';
const KEEP = env.BENCH_CHAT_KEEP === '1';
const ROOT = resolve(env.BENCH_CHAT_ROOT ?? '/tmp/agora-chat-bench');
const RESULTS = join(REPO, 'bench', 'results');
const SESSION = env.BENCH_SESSION ?? new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
const APP = join(ROOT, 'app'); // snapshot of bin/ + dist/ used for the whole run
const RUN = join(ROOT, 'run');
const SPACE = 'chatbench';
const CHANNEL = 'general';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();
const load = () => os.loadavg().map((x) => Math.round(x * 100) / 100);
const stamp = () => new Date().toISOString().slice(11, 19);
const log = (...a) => console.error(stamp(), '[chat]', ...a);
const ms = (x) => Math.round(x * 10) / 10;

class Failure extends Error {}

// ------------------------------------------------------------------ processes
function agora(home, args, timeoutS = 120) {
  const r = spawnSync(process.execPath, [join(APP, 'bin', 'agora.js'), '--home', home, ...args], { encoding: 'utf8', timeout: timeoutS * 1000 });
  if (r.status !== 0) throw new Failure(`agora ${args.join(' ')} (home ${home}) exited ${r.status ?? r.signal}: ${(r.stderr || r.stdout || '').trim().slice(0, 2000)}`);
  return r.stdout;
}

function alive(pid) {
  try {
    return !/^\S+ \(.*\) [ZX]/s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
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

function procTree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) for (const c of childrenOf(out[i])) if (alive(c)) out.push(c);
  return out;
}

/** Peak RSS (VmHWM) since the last reset, summed over the daemon and its live descendants. */
const hwmTree = (pid) => procTree(pid).reduce((sum, p) => sum + (statusKb(p, 'VmHWM') ?? 0), 0);

function resetHwmTree(pid) {
  for (const p of procTree(pid)) {
    try {
      writeFileSync(`/proc/${p}/clear_refs`, '5');
    } catch {
      // not ours, or gone
    }
  }
}

/** CPU time (user + system, s) of one process, from /proc/PID/stat. */
function cpuSeconds(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').pop().split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/**
 * Kernel TCP payload counters (ss -tinp) of the sockets between pid `a` and pid `b`: the sockets of
 * `a` whose peer address is a local address of a socket of `b` (as in sync-bench.mjs).
 */
function tcpBetween(a, b) {
  const r = spawnSync('ss', ['-tinpH'], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) return null;
  const lines = r.stdout.split('\n');
  const socks = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (!/^\S/.test(line) || !line.includes('users:(')) continue;
    const cols = line.trim().split(/\s+/);
    const info = /^\s/.test(lines[i + 1] ?? '') ? lines[i + 1] : '';
    const num = (k) => Number(new RegExp(`\\b${k}:(\\d+)`).exec(info)?.[1] ?? 0);
    socks.push({ local: cols[3], peer: cols[4], pids: [...line.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1])), sent: num('bytes_sent'), recv: num('bytes_received') });
  }
  const localsB = new Set(socks.filter((s) => s.pids.includes(b)).map((s) => s.local));
  const mine = socks.filter((s) => s.pids.includes(a) && localsB.has(s.peer));
  return { sockets: mine.length, a_sent: mine.reduce((n, s) => n + s.sent, 0), a_received: mine.reduce((n, s) => n + s.recv, 0) };
}

/** Nodes started and not yet stopped: killed on exit and on signals. */
const LIVE = new Set();

class Node {
  constructor(name) {
    this.name = name;
    this.home = join(RUN, `home${name}`);
  }

  static START = ['start', '--detach', '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0', '--no-dht', '--no-mdns', '--json'];

  start() {
    agora(this.home, Node.START);
    if (!this.attach()) throw new Failure(`node ${this.name} started but its api.json names no live process`);
  }

  /**
   * `agora start --detach` without waiting for it: resolves when the command exits. The command
   * returns only once the node answers its status route, which a node busy storing a backlog
   * does late; attach() finds the daemon as soon as it has written api.json.
   */
  startAsync() {
    rmSync(join(this.home, 'api.json'), { force: true });
    return new Promise((res, rej) => {
      const child = spawn(process.execPath, [join(APP, 'bin', 'agora.js'), '--home', this.home, ...Node.START], { stdio: ['ignore', 'ignore', 'pipe'] });
      let err = '';
      child.stderr.on('data', (d) => (err += d));
      child.on('exit', (code, signal) => {
        this.attach();
        if (code === 0) res(now());
        else rej(new Failure(`agora start (home ${this.home}) exited ${code ?? signal}: ${err.trim().slice(0, 2000)}`));
      });
    });
  }

  /** Reads api.json (and the token) of the running daemon; false if there is none yet. */
  attach() {
    try {
      const info = JSON.parse(readFileSync(join(this.home, 'api.json'), 'utf8'));
      if (!alive(info.pid)) return false;
      this.pid = info.pid;
      this.url = info.url;
      this.token = readFileSync(join(this.home, 'api-token'), 'utf8').trim();
      LIVE.add(this);
      return true;
    } catch {
      return false;
    }
  }

  /** Wall-clock times (ms) of node.log lines with this message, written by process `pid`. */
  logTimes(msg, pid) {
    const p = join(this.home, 'node.log');
    if (!existsSync(p)) return [];
    const out = [];
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      try {
        const j = JSON.parse(line);
        if (j.msg === msg && j.pid === pid) out.push(j.time);
      } catch {
        // not JSON
      }
    }
    return out;
  }

  /** The local API with the bearer token, as src/client/http-client.ts sends it. */
  async api(method, path, body, timeoutS = 60) {
    const r = await fetch(this.url + path, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutS * 1000),
    });
    const text = await r.text();
    if (!r.ok) throw new Failure(`${method} ${path} on ${this.name}: HTTP ${r.status} ${text.slice(0, 500)}`);
    return text ? JSON.parse(text) : null;
  }

  post(spaceId, text) {
    return this.api('POST', `/api/v1/spaces/${spaceId}/chat/messages`, { channel: CHANNEL, text });
  }

  /** `general` as the channel list shows it (unread: posts by others since this device last read it). */
  async general(spaceId) {
    const list = await this.api('GET', `/api/v1/spaces/${spaceId}/chat/channels`);
    const g = list.find((c) => c.kind === 'general');
    if (!g) throw new Failure(`${this.name} lists no general channel: ${JSON.stringify(list).slice(0, 500)}`);
    return g;
  }

  read(spaceId) {
    return this.api('GET', `/api/v1/spaces/${spaceId}/chat/messages?channel=${CHANNEL}&markRead=false`, undefined, 300);
  }

  /** Events of the node (WebSocket /api/v1/events), timestamped on arrival. */
  subscribe(onEvent) {
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + '/api/v1/events', { headers: { authorization: `Bearer ${this.token}` } });
    const ready = new Promise((res, rej) => {
      ws.once('open', res);
      ws.once('error', rej);
    });
    ready.catch(() => {}); // whoever needs the stream awaits `ready`; the catch-up poll does without
    ws.on('message', (d) => {
      const t = now();
      try {
        onEvent(JSON.parse(String(d)), t);
      } catch {
        // not JSON
      }
    });
    ws.on('error', () => {});
    return { ready, close: () => ws.terminate() };
  }

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

  /** Warnings and errors of node.log (pino JSON, level >= 40), counted by message. */
  logProblems(max = 8) {
    const p = join(this.home, 'node.log');
    if (!existsSync(p)) return { total: 0, distinct: [] };
    const counts = new Map();
    let total = 0;
    for (const line of readFileSync(p, 'utf8').split('\n')) {
      try {
        const j = JSON.parse(line);
        if (j.level < 40) continue;
        total++;
        const l = `${j.level >= 50 ? 'ERROR' : 'WARN'} ${j.msg}${j.err ? `: ${typeof j.err === 'string' ? j.err : j.err.message}` : ''}${j.problem ? ` (${j.problem})` : ''}`;
        counts.set(l, (counts.get(l) ?? 0) + 1);
      } catch {
        // not JSON
      }
    }
    return { total, distinct: [...counts].slice(-max).map(([l, n]) => (n > 1 ? `${n}x ${l}` : l)) };
  }
}

async function waitFor(what, timeoutS, fn, intervalMs = 200) {
  const end = now() + timeoutS * 1000;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last === true) return;
    } catch (err) {
      last = err.message;
    }
    if (now() > end) throw new Failure(`timeout (${timeoutS} s) waiting for ${what}; last: ${typeof last === 'string' ? last : JSON.stringify(last)?.slice(0, 1000)}`);
    await sleep(intervalMs);
  }
}

const quantile = (sorted, q) => (sorted.length === 0 ? null : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]);
function stats(xs) {
  const v = [...xs].sort((a, b) => a - b);
  if (v.length === 0) return null;
  return { n: v.length, p50: ms(quantile(v, 0.5)), p90: ms(quantile(v, 0.9)), p99: ms(quantile(v, 0.99)), max: ms(v.at(-1)), mean: ms(v.reduce((a, b) => a + b, 0) / v.length) };
}

// ------------------------------------------------------------------ the measurement
async function measure(rec) {
  rmSync(RUN, { recursive: true, force: true });
  for (const d of ['A/space', 'B/space']) mkdirSync(join(RUN, d), { recursive: true });
  const A = new Node('A');
  const B = new Node('B');
  const phase = (p) => {
    rec.phase = p;
    log(p);
  };
  try {
    phase('start A and B, create the space, invite, join');
    A.start();
    const tFresh = now();
    B.start();
    rec.start_command_fresh_seconds = Math.round(now() - tFresh) / 1000;
    const space = JSON.parse(agora(A.home, ['space', 'create', SPACE, '--dir', join(RUN, 'A', 'space'), '--json']));
    const spaceId = space.spaceId;
    const code = JSON.parse(agora(A.home, ['invite', '--space', SPACE, '--json'])).code;
    agora(B.home, ['join', code, '--dir', join(RUN, 'B', 'space'), '--json'], 180);
    await waitFor('A and B connected', 120, async () => {
      const [pa, pb] = await Promise.all([A.api('GET', '/api/v1/peers'), B.api('GET', '/api/v1/peers')]);
      return (pa.some((p) => p.connected) && pb.some((p) => p.connected)) || { A: pa, B: pb };
    });
    // The chat routes exist in this build?
    await A.general(spaceId);

    // ---- 1. latency
    phase(`latency: ${WARMUP} warm-up + ${LATENCY_N} posts A -> B, one at a time`);
    const seenB = new Map(); // messageId -> arrival time on the bench's WebSocket to B
    const waiters = new Map();
    const subB = B.subscribe((e, t) => {
      if (e.type !== 'chat.message' || e.data?.kind !== 'post') return;
      seenB.set(e.data.messageId, t);
      waiters.get(e.data.messageId)?.();
    });
    await subB.ready;
    const seen = (id, timeoutS) =>
      seenB.has(id)
        ? Promise.resolve(seenB.get(id))
        : new Promise((res, rej) => {
            const timer = setTimeout(() => {
              waiters.delete(id);
              rej(new Failure(`B had no chat.message event for ${id.slice(0, 12)} after ${timeoutS} s`));
            }, timeoutS * 1000);
            waiters.set(id, () => {
              clearTimeout(timer);
              waiters.delete(id);
              res(seenB.get(id));
            });
          });
    rec.load_latency_start = load();
    const latencies = [];
    const postRtt = [];
    for (let i = 0; i < WARMUP + LATENCY_N; i++) {
      const t0 = now();
      const m = await A.post(spaceId, `latency ${String(i).padStart(4, '0')}: the quick brown fox jumps over the lazy dog`);
      const tAnswer = now();
      const tSeen = await seen(m.messageId, i === 0 ? 120 : 30);
      if (i >= WARMUP) {
        latencies.push(tSeen - t0);
        postRtt.push(tAnswer - t0);
      }
    }
    subB.close();
    rec.latency_ms = stats(latencies);
    rec.latency_post_answer_ms = stats(postRtt);
    rec.latency_event_before_answer = latencies.filter((l, i) => l < postRtt[i]).length;
    rec.load_latency_end = load();
    log(`latency ms: p50 ${rec.latency_ms.p50} p99 ${rec.latency_ms.p99} max ${rec.latency_ms.max}; A's POST answered in p50 ${rec.latency_post_answer_ms.p50} ms`);

    // ---- 2. backlog while B is offline
    phase('backlog: stop B');
    const unreadBefore = (await B.general(spaceId)).unread;
    const oldB = B.pid;
    await B.stop();
    rec.b_stopped = !alive(oldB);
    await waitFor('A sees B offline', 60, async () => {
      const pa = await A.api('GET', '/api/v1/peers');
      return pa.every((p) => !p.connected) || pa;
    });
    phase(`backlog: A posts ${MESSAGES} messages (${CONCURRENCY} in flight)`);
    resetHwmTree(A.pid);
    rec.load_post_start = load();
    const cpuA0 = cpuSeconds(A.pid);
    const rtt = new Array(MESSAGES);
    let next = 0;
    const tPost0 = now();
    const postDeadline = tPost0 + TIMEOUT_S * 1000;
    const worker = async () => {
      for (;;) {
        const i = next++;
        if (i >= MESSAGES) return;
        if (now() > postDeadline) throw new Failure(`posting took over ${TIMEOUT_S} s (${i} of ${MESSAGES} sent)`);
        const t = now();
        await A.post(spaceId, `backlog ${String(i).padStart(5, '0')}: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.`);
        rtt[i] = now() - t;
        if ((i + 1) % 1000 === 0) log(`  ${i + 1} posted, ${((now() - tPost0) / 1000).toFixed(1)} s; this POST ${ms(rtt[i])} ms`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const postS = (now() - tPost0) / 1000;
    const slice = Math.min(1000, Math.floor(MESSAGES / 2));
    Object.assign(rec, {
      post_seconds: Math.round(postS * 1000) / 1000,
      post_per_second: Math.round(MESSAGES / postS),
      post_ms_first: stats(rtt.slice(0, slice)),
      post_ms_last: stats(rtt.slice(-slice)),
      post_cpu_seconds_A: cpuA0 === null ? null : Math.round((cpuSeconds(A.pid) - cpuA0) * 100) / 100,
      rssA_post_kb: hwmTree(A.pid),
      load_post_end: load(),
    });
    log(`A posted ${MESSAGES} in ${rec.post_seconds} s (${rec.post_per_second}/s); POST p50 first ${slice}: ${rec.post_ms_first.p50} ms, last ${slice}: ${rec.post_ms_last.p50} ms`);

    phase('backlog: start B, wait until it holds every message');
    const want = unreadBefore + MESSAGES;
    rec.load_catchup_start = load();
    const wallStart = Date.now();
    const tStart = now();
    let tStarted = null;
    let startError = null;
    B.pid = null;
    const started = B.startAsync().then(
      (t) => (tStarted = t),
      (err) => (startError = err),
    );
    let firstEvent = null;
    let lastEvent = null;
    let events = 0;
    let subB2 = null;
    let polls = 0;
    let unread = null;
    let peakPoll = 0;
    let lastError = null;
    const end = tStart + TIMEOUT_S * 1000;
    for (;;) {
      if (startError) throw startError;
      if (now() > end) throw new Failure(`B holds ${unread === null ? '?' : unread - unreadBefore} of ${MESSAGES} new messages after ${TIMEOUT_S} s${lastError ? `; last error: ${lastError}` : ''}`);
      if (B.pid === null && !B.attach()) {
        await sleep(20);
        continue;
      }
      subB2 ??= B.subscribe((e, t) => {
        if (e.type !== 'chat.message') return;
        events++;
        firstEvent ??= t;
        lastEvent = t;
      });
      const tp = now();
      try {
        unread = (await B.general(spaceId)).unread;
      } catch (err) {
        lastError = err.message; // the API is not up yet
        await sleep(20);
        continue;
      }
      peakPoll = Math.max(peakPoll, now() - tp);
      polls++;
      if (unread >= want) break;
      await sleep(POLL_MS);
    }
    const tDone = now();
    const tcp = tcpBetween(A.pid, B.pid);
    await started;
    if (startError) throw startError;
    subB2?.close();
    const online = B.logTimes('peer online', B.pid)[0];
    Object.assign(rec, {
      catchup_seconds: Math.round(tDone - tStart) / 1000,
      catchup_start_command_seconds: Math.round(tStarted - tStart) / 1000,
      catchup_connected_after_seconds: online === undefined ? null : (online - wallStart) / 1000,
      catchup_done_after_connected_seconds: online === undefined ? null : Math.round(tDone - tStart - (online - wallStart)) / 1000,
      catchup_first_event_seconds: firstEvent === null ? null : Math.round(firstEvent - tStart) / 1000,
      catchup_last_event_seconds: lastEvent === null ? null : Math.round(lastEvent - tStart) / 1000,
      catchup_events_seen: events,
      catchup_polls: polls,
      catchup_slowest_poll_ms: ms(peakPoll),
      catchup_messages_per_second: Math.round(MESSAGES / ((tDone - tStart) / 1000)),
      rssB_peak_kb: hwmTree(B.pid),
      rssB_now_kb: statusKb(B.pid, 'VmRSS'),
      cpuB_seconds: cpuSeconds(B.pid),
      tcp_since_b_started: tcp,
      tcp_bytes_per_message: tcp ? Math.round((tcp.a_sent + tcp.a_received) / MESSAGES) : null,
      load_catchup_end: load(),
    });
    log(`B caught up in ${rec.catchup_seconds} s from its start command (connected at ${rec.catchup_connected_after_seconds} s; the command took ${rec.catchup_start_command_seconds} s, ${rec.start_command_fresh_seconds} s for a fresh B); peak RSS B ${(rec.rssB_peak_kb / 1024).toFixed(1)} MiB; tcp ${tcp ? tcp.a_sent + tcp.a_received : '?'} B`);

    phase('verify: both histories of general');
    const tr = now();
    const [ha, hb] = [await A.read(spaceId), await B.read(spaceId)];
    rec.read_all_ms = ms(now() - tr);
    const backlogB = hb.filter((m) => m.text.startsWith('backlog '));
    const distinct = new Set(backlogB.map((m) => m.text.slice(8, 13)));
    rec.verified_count = backlogB.length === MESSAGES && distinct.size === MESSAGES;
    rec.verified_same_order = ha.length === hb.length && ha.every((m, i) => m.messageId === hb[i].messageId);
    if (!rec.verified_count || !rec.verified_same_order) {
      throw new Failure(`histories differ: B holds ${backlogB.length} backlog messages (${distinct.size} distinct), A ${ha.length} messages, B ${hb.length}, same order ${rec.verified_same_order}`);
    }
    rec.verified = true;
  } catch (err) {
    rec.failed = true;
    rec.reason = `${rec.phase}: ${err.message}`;
    log(`FAILED: ${rec.reason}`);
  } finally {
    const logDir = join(ROOT, 'logs');
    mkdirSync(logDir, { recursive: true });
    for (const n of [A, B]) {
      if (!n.pid) n.attach(); // started, but not yet found
      await n.stop().catch((e) => log(`stop ${n.name}: ${e.message}`));
      rec[`log${n.name}`] = n.logProblems();
      const p = join(n.home, 'node.log');
      if (existsSync(p)) {
        const to = join(logDir, `${SESSION}-chat-${n.name}.log`);
        cpSync(p, to);
        rec[`logfile${n.name}`] = to;
      }
      const db = join(n.home, 'agora.db');
      if (existsSync(db)) rec[`store${n.name}_kb`] = Math.round(['', '-wal', '-shm'].reduce((s, x) => s + (existsSync(db + x) ? Number(spawnSync('stat', ['-c', '%s', db + x], { encoding: 'utf8' }).stdout) : 0), 0) / 1024);
    }
    if (!KEEP) rmSync(RUN, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ session, report
function snapshotApp() {
  rmSync(APP, { recursive: true, force: true });
  mkdirSync(APP, { recursive: true });
  cpSync(join(REPO, 'dist'), join(APP, 'dist'), { recursive: true });
  cpSync(join(REPO, 'bin'), join(APP, 'bin'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(APP, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(APP, 'node_modules'));
}

function gitState() {
  const g = (args) => spawnSync('git', ['-C', REPO, ...args], { encoding: 'utf8' }).stdout;
  const dirty = g(['status', '--porcelain', '--', 'src']).split('\n').filter(Boolean).map((l) => l.slice(3));
  return { commit: g(['rev-parse', 'HEAD']).trim(), dirty };
}

function machine() {
  const cpu = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1];
  return { nproc: os.cpus().length, cpu, memGiB: Math.round(os.totalmem() / 2 ** 30), kernel: os.release(), node: process.version };
}

const LOCK = join(dirname(ROOT), `${ROOT.split('/').pop()}.lock`);
let locked = false;

/** One chat benchmark at a time (a second one would wipe the first one's homes). */
function takeLock() {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      locked = true;
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
      if (pid && alive(pid) && cmd.includes('chat-bench')) throw new Error(`another chat benchmark is running (pid ${pid}, lock ${LOCK})`, { cause: err });
      rmSync(LOCK, { force: true }); // stale
    }
  }
  throw new Error(`could not take ${LOCK}`);
}

/** On any exit: the daemons this run started are stopped, its homes and app snapshot removed, the lock released. */
function cleanupSync() {
  for (const n of LIVE) {
    try {
      n.kill();
    } catch {
      // gone
    }
  }
  LIVE.clear();
  if (!locked) return;
  if (!KEEP) {
    rmSync(RUN, { recursive: true, force: true });
    rmSync(APP, { recursive: true, force: true });
  }
  try {
    if (readFileSync(LOCK, 'utf8').trim() === String(process.pid)) rmSync(LOCK, { force: true });
  } catch {
    // not ours
  }
}

let syncChild = null;
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    syncChild?.kill(sig);
    cleanupSync();
    process.exit(130);
  });
}
process.on('exit', cleanupSync);

function table(r) {
  const f = (x, d = 1) => (x === null || x === undefined ? '–' : typeof x === 'number' ? x.toFixed(d) : String(x));
  const tcp = r.tcp_since_b_started;
  const rows = [
    ['latency A -> B, p50', `${f(r.latency_ms?.p50)} ms`],
    ['latency A -> B, p99', `${f(r.latency_ms?.p99)} ms`],
    ['latency A -> B, max', `${f(r.latency_ms?.max)} ms`],
    ["A's POST answered, p50 / p99", `${f(r.latency_post_answer_ms?.p50)} / ${f(r.latency_post_answer_ms?.p99)} ms`],
    [`A posts the backlog of ${r.messages} (${r.concurrency} in flight)`, `${f(r.post_seconds, 2)} s (${r.post_per_second ?? '–'}/s)`],
    [`POST p50, first / last ${Math.min(1000, Math.floor(r.messages / 2))}`, `${f(r.post_ms_first?.p50)} / ${f(r.post_ms_last?.p50)} ms`],
    ['B catches up (from its start command)', `${f(r.catchup_seconds, 2)} s (${r.catchup_messages_per_second ?? '–'} msg/s)`],
    ['  B connected to A (node.log), after', `${f(r.catchup_connected_after_seconds, 2)} s`],
    ['  `agora start --detach` returned after (a fresh B: without backlog)', `${f(r.catchup_start_command_seconds, 2)} s (${f(r.start_command_fresh_seconds, 2)} s)`],
    ['TCP bytes A <-> B (B up to caught up)', tcp ? `${(tcp.a_sent + tcp.a_received).toLocaleString('en-US')} (${r.tcp_bytes_per_message} per message)` : '–'],
    ['peak RSS B while catching up', r.rssB_peak_kb ? `${(r.rssB_peak_kb / 1024).toFixed(1)} MiB` : '–'],
    ['peak RSS A while posting', r.rssA_post_kb ? `${(r.rssA_post_kb / 1024).toFixed(1)} MiB` : '–'],
    ['store A / B (agora.db + wal)', `${r.storeA_kb ?? '–'} / ${r.storeB_kb ?? '–'} kB`],
    ['verified (count, same order on A and B)', r.verified ? 'yes' : `NO: ${r.reason ?? ''}`],
    ['load average 1 min: start / after posting / end', `${r.load_start[0]} / ${r.load_post_end?.[0] ?? '–'} / ${r.load_end?.[0] ?? '–'}`],
  ];
  return ['| chat (A, B on loopback) | value |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
}

async function runChat() {
  mkdirSync(RESULTS, { recursive: true });
  if (!existsSync(join(RESULTS, '.gitignore'))) writeFileSync(join(RESULTS, '.gitignore'), '*\n!.gitignore\n');
  const rec = {
    type: 'chat', session: SESSION, started: new Date().toISOString(), messages: MESSAGES, latencyPosts: LATENCY_N, warmup: WARMUP,
    concurrency: CONCURRENCY, pollMs: POLL_MS, git: gitState(), machine: machine(), load_start: load(),
  };
  log(`session ${SESSION}: latency ${LATENCY_N}, backlog ${MESSAGES}; Agora ${rec.git.commit.slice(0, 10)}${rec.git.dirty.length ? ` + uncommitted ${rec.git.dirty.join(', ')}` : ''}; load ${rec.load_start.join(' ')}`);
  await measure(rec);
  rec.load_end = load();
  rec.finished = new Date().toISOString();
  const out = join(RESULTS, `${SESSION}-chat.json`);
  writeFileSync(out, JSON.stringify(rec, null, 2) + '\n');
  console.log(`\nAgora chat, session ${SESSION}, ${rec.git.commit.slice(0, 10)}${rec.git.dirty.length ? ` (+ uncommitted changes in ${rec.git.dirty.length} src files)` : ''}; ${rec.machine.nproc} cores, Node ${rec.machine.node}\n`);
  console.log(table(rec));
  if (rec.failed) console.log(`\nFailed: ${rec.reason}`);
  log(`results: ${out}`);
  return rec.failed ? 1 : 0;
}

/** --with-sync: the sync benchmark first (same build, same session name), unless BENCH_DATASETS names only chat. */
function runSync() {
  const all = (env.BENCH_DATASETS ?? '').split(/[\s,]+/).filter(Boolean);
  const rest = all.filter((d) => d !== 'chat');
  if (all.length > 0 && rest.length === 0) {
    log('BENCH_DATASETS names only chat: no sync benchmark');
    return Promise.resolve(0);
  }
  const childEnv = { ...env, BENCH_BUILD: '0', BENCH_SESSION: SESSION };
  if (all.length > 0) childEnv.BENCH_DATASETS = rest.join(',');
  return new Promise((res) => {
    syncChild = spawn(process.execPath, [join(REPO, 'bench', 'sync-bench.mjs')], { stdio: 'inherit', env: childEnv });
    syncChild.on('exit', (code, signal) => {
      syncChild = null;
      res(code ?? (signal ? 1 : 0));
    });
  });
}

async function main() {
  if (RUN_CHAT && (existsSync(join(ROOT, '.git')) || ROOT.startsWith(REPO + '/') || ROOT === REPO)) throw new Error('BENCH_CHAT_ROOT must be outside the checkout');
  if (RUN_CHAT) takeLock();
  if (BUILD) {
    log('npm run build');
    const b = spawnSync('npm', ['run', 'build'], { cwd: REPO, encoding: 'utf8' });
    if (b.status !== 0) log(`WARNING: npm run build exited ${b.status}; measuring the dist/ it left:\n${(b.stdout + b.stderr).trim().split('\n').slice(-15).join('\n')}`);
  }
  if (RUN_CHAT) snapshotApp(); // before the sync benchmark: both measure the same build
  let code = 0;
  if (WITH_SYNC) code = await runSync();
  if (RUN_CHAT) code = Math.max(code, await runChat());
  return code;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);

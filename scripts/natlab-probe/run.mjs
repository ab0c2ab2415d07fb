#!/usr/bin/env node
// run.mjs — runs probe.mjs in every NAT lab variant and prints a table.
// Needs root (see scripts/natlab.sh). Each scenario gets a fresh lab (fresh
// conntrack state in the routers), which is always torn down.
//
//   node scripts/natlab-probe/run.mjs [--repeat N] [--only REGEX] [--json FILE]
/* global process, console, setTimeout, clearTimeout */
import { spawn, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const NATLAB = join(here, '..', 'natlab.sh');
const PROBE = join(here, 'probe.mjs');
const BOOT = '203.0.113.10:49737';

const { values: opt } = parseArgs({
  options: {
    repeat: { type: 'string', default: '1' },
    only: { type: 'string', default: '' },
    json: { type: 'string', default: '' },
    'upgrade-wait': { type: 'string', default: '75' },
  },
});

const live = new Set();
const children = new Set();
function cleanupAll() {
  for (const c of children) c.kill('SIGKILL');
  for (const p of live) {
    try {
      execFileSync(NATLAB, ['down', p], { stdio: 'ignore' });
    } catch {
      /* best effort */
    }
  }
}
process.on('SIGINT', () => {
  cleanupAll();
  process.exit(130);
});
process.on('exit', cleanupAll);

function prefix() {
  return 'np' + randomBytes(3).readUIntBE(0, 3).toString(36).padStart(4, '0').slice(-4);
}

function up(variant, env = {}) {
  const p = prefix();
  live.add(p);
  execFileSync(NATLAB, ['up', p, variant], { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...env } });
  return p;
}

function down(p) {
  execFileSync(NATLAB, ['down', p], { stdio: 'inherit' });
  live.delete(p);
}

// Start a probe role in a namespace; returns {lines, waitFor(pred, ms), done, kill}.
function role(p, host, args) {
  const child = spawn(NATLAB, ['exec', p, host, '--', process.execPath, PROBE, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const lines = [];
  const waiters = new Set();
  let buf = '';
  let stderr = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        const obj = JSON.parse(line);
        lines.push(obj);
        for (const w of waiters) w();
      } catch {
        /* not ours */
      }
    }
  });
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  children.add(child);
  done.then(() => {
    children.delete(child);
    for (const w of waiters) w();
  });
  return {
    lines,
    get stderr() {
      return stderr;
    },
    done,
    kill: () => child.kill('SIGTERM'),
    waitFor(pred, ms) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const hit = lines.find(pred);
          if (hit) {
            cleanup();
            resolve(hit);
          } else if (child.exitCode !== null) {
            cleanup();
            reject(new Error(`${host} exited (${child.exitCode}): ${stderr.slice(-500)}`));
          }
        };
        const t = setTimeout(() => {
          cleanup();
          reject(new Error(`${host}: timeout waiting (${ms} ms); stderr: ${stderr.slice(-500)}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(t);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

const seed = (n) => n.toString(16).padStart(64, '0');

async function natScenario({ variant, nodes, relay, env, sameIp }) {
  const p = up(variant, env);
  const procs = [];
  try {
    const keeper = role(p, 'keeper', ['keeper', '--nodes', String(nodes), ...(sameIp ? ['--same-ip'] : []), ...(relay ? ['--relay-seed', seed(99)] : [])]);
    procs.push(keeper);
    const kr = await keeper.waitFor((l) => l.ev === 'ready', 10_000);
    const relayArgs = relay ? ['--relay', kr.relayKey] : [];
    const server = role(p, 'b', ['server', '--bootstrap', BOOT, '--seed', seed(7), ...relayArgs]);
    procs.push(server);
    const sl = await server.waitFor((l) => l.ev === 'listening', 20_000);
    const client = role(p, 'a', [
      'client', '--bootstrap', BOOT, '--key', sl.publicKey, '--timeout', '60',
      '--upgrade-wait', opt['upgrade-wait'], ...relayArgs,
    ]);
    procs.push(client);
    const res = await client.waitFor((l) => l.ev === 'result', 200_000);
    const cl = client.lines.find((l) => l.ev === 'dht-ready');
    return {
      outcome: res.outcome === 'open' ? (res.via === 'keeper(relay)' ? 'relayed' : 'direct') : res.code || res.outcome,
      ms: res.outcome === 'open' ? res.openMs : res.errorMs,
      via: res.via,
      upgraded: res.upgraded ? `yes +${res.upgraded.afterOpenMs} ms -> ${res.upgraded.via}` : 'no',
      echoMs: res.echoMs,
      aliveAtEnd: res.aliveAtEnd,
      a: { firewalled: cl.firewalled, randomized: cl.randomized, host: cl.host, port: cl.port },
      b: { firewalled: sl.firewalled, randomized: sl.randomized, host: sl.host, port: sl.port },
      punches: res.punches,
      errorsCreated: [...new Set((res.errorsCreated || []).map((e) => e.code))].join(','),
      relayPairs: keeper.lines.filter((l) => l.ev === 'relay-pair').length,
      serverEvents: server.lines.filter((l) => /server-conn/.test(l.ev)).map((l) => l.ev),
    };
  } finally {
    for (const r of procs) r.kill();
    await Promise.race([Promise.all(procs.map((r) => r.done)), new Promise((r) => setTimeout(r, 3000))]);
    down(p);
  }
}

async function lanDht({ relayAddr, serverPort, bootstrap = '' }) {
  const p = up('lan');
  const procs = [];
  try {
    const server = role(p, 'b', ['server', '--bootstrap', bootstrap, '--seed', seed(7), '--port', String(serverPort)]);
    procs.push(server);
    const sl = await server.waitFor((l) => l.ev === 'listening', 20_000);
    const args = ['client', '--bootstrap', bootstrap, '--key', sl.publicKey, '--timeout', '30'];
    if (relayAddr === 'server') args.push('--relay-addr', `192.168.77.3:${sl.bound.port}`);
    else if (relayAddr === 'client-socket') args.push('--relay-addr', `192.168.77.3:${sl.clientBound.port}`);
    else if (relayAddr) args.push('--relay-addr', relayAddr);
    const client = role(p, 'a', args);
    procs.push(client);
    const res = await client.waitFor((l) => l.ev === 'result', 60_000);
    return {
      outcome: res.outcome === 'open' ? 'direct' : res.code || res.outcome,
      ms: res.outcome === 'open' ? res.openMs : res.errorMs,
      via: res.via,
      remote: res.outcome === 'open' ? `${res.remoteHost}:${res.remotePort}` : null,
      server: { bound: sl.bound, clientBound: sl.clientBound, firewalled: sl.firewalled, listenMs: sl.t },
      clientDht: client.lines.find((l) => l.ev === 'dht-ready'),
    };
  } finally {
    for (const r of procs) r.kill();
    await Promise.race([Promise.all(procs.map((r) => r.done)), new Promise((r) => setTimeout(r, 3000))]);
    down(p);
  }
}

async function lanMdns({ mode, route }) {
  const p = up('lan', { NATLAB_LAN_MCAST_ROUTE: route ? '1' : '0' });
  try {
    const ra = role(p, 'a', ['mdns', '--name', 'a', '--ip', '192.168.77.2', '--mode', mode, '--duration', '5']);
    const rb = role(p, 'b', ['mdns', '--name', 'b', '--ip', '192.168.77.3', '--mode', mode, '--duration', '5']);
    const [x, y] = await Promise.all([ra.waitFor((l) => l.ev === 'result', 20_000), rb.waitFor((l) => l.ev === 'result', 20_000)]);
    await Promise.all([ra.done, rb.done]);
    const short = (r) => ({
      queriesFromPeer: r.queriesFromPeer,
      answersFromPeer: r.answersFromPeer,
      sendErrors: r.sendErrors,
      warnings: r.warnings,
      errors: r.errors,
    });
    return { a: short(x), b: short(y), works: x.answersFromPeer > 0 && y.answersFromPeer > 0 };
  } finally {
    down(p);
  }
}

const scenarios = [];
for (const variant of ['cone', 'symmetric-one', 'symmetric-both']) {
  for (const nodes of [1, 2, 3, 4]) scenarios.push({ name: `${variant} direct nodes=${nodes}`, fn: () => natScenario({ variant, nodes, relay: false }) });
  for (const nodes of [1, 4]) scenarios.push({ name: `${variant} relay nodes=${nodes}`, fn: () => natScenario({ variant, nodes, relay: true }) });
}
for (const variant of ['cone', 'symmetric-one']) {
  scenarios.push({ name: `${variant} direct nodes=3 same-ip`, fn: () => natScenario({ variant, nodes: 3, relay: false, sameIp: true }) });
  scenarios.push({ name: `${variant} relay nodes=3 same-ip`, fn: () => natScenario({ variant, nodes: 3, relay: true, sameIp: true }) });
}
scenarios.push({ name: 'cone direct nodes=4 WAN_HOPS=0', fn: () => natScenario({ variant: 'cone', nodes: 4, relay: false, env: { NATLAB_WAN_HOPS: '0' } }) });
scenarios.push({ name: 'lan dht relayAddresses=server', fn: () => lanDht({ relayAddr: 'server', serverPort: 49737 }) });
scenarios.push({ name: 'lan dht relayAddresses=server client socket', fn: () => lanDht({ relayAddr: 'client-socket', serverPort: 49737 }) });
scenarios.push({ name: 'lan dht bootstrap=keeper(unreachable) relayAddresses=server', fn: () => lanDht({ relayAddr: 'server', serverPort: 49737, bootstrap: BOOT }) });
scenarios.push({ name: 'lan dht no relayAddresses', fn: () => lanDht({ relayAddr: null, serverPort: 49737 }) });
for (const route of [true, false]) {
  for (const mode of ['default', 'iface', 'iface-bind0']) {
    scenarios.push({ name: `lan mdns mode=${mode} route224=${route ? 'yes' : 'no'}`, fn: () => lanMdns({ mode, route }) });
  }
}

const only = opt.only ? new RegExp(opt.only) : null;
const results = [];
for (const s of scenarios) {
  if (only && !only.test(s.name)) continue;
  for (let i = 0; i < Number(opt.repeat); i++) {
    let r;
    try {
      r = await s.fn();
    } catch (err) {
      r = { outcome: 'PROBE-ERROR', error: String(err.message || err) };
    }
    results.push({ name: s.name, run: i, ...r });
    const summary =
      'works' in r
        ? `mdns works=${r.works} a=${JSON.stringify(r.a)} b=${JSON.stringify(r.b)}`
        : `${r.outcome} ${r.ms ?? ''} ms via=${r.via ?? '-'} upgraded=${r.upgraded ?? '-'} alive=${r.aliveAtEnd ?? '-'} ` +
          (r.a ? `errors=${r.errorsCreated} a=${JSON.stringify(r.a)} b=${JSON.stringify(r.b)} relayPairs=${r.relayPairs}` : '') +
          (r.server ? ` server=${JSON.stringify(r.server)}` : '') +
          (r.error ? ` error=${r.error}` : '');
    console.log(`| ${s.name} | #${i} | ${summary}`);
  }
}
if (opt.json) writeFileSync(opt.json, JSON.stringify(results, null, 2));

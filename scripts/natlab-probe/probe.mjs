#!/usr/bin/env node
// probe.mjs — one role of a hyperdht / multicast-dns experiment, run inside a
// NAT lab namespace (scripts/natlab.sh exec PREFIX HOST -- node probe.mjs ROLE …).
// Every fact is printed as one JSON object per line on stdout; run.mjs reads them.
//
// Roles:
//   keeper  --nodes N [--same-ip] [--relay-seed HEX]
//       N non-firewalled, persistent DHT nodes: 203.0.113.10:49737 (the
//       bootstrap) and 203.0.113.11.., port 49737 (--same-ip: 203.0.113.10,
//       ports 49738..), all bootstrapping from the first. With --relay-seed
//       the first node also runs a blind-relay server.
//   server  --bootstrap H:P[,H:P] --seed HEX [--relay KEY] [--port N]
//       DHT node + dht.createServer() on the key pair of seed; echoes data.
//   client  --bootstrap … --key HEX [--relay KEY] [--relay-addr H:P] [--timeout S] [--upgrade-wait S]
//       dht.connect(key): open or error, timings, remote address, upgrade.
//   mdns    --name N --mode default|iface|iface-bind0 --ip IP [--duration S]
//       multicast-dns on 224.0.0.251:5353: queries N-peer.local every 500 ms,
//       answers queries for N.local, reports what it saw from the other host.
/* global process, setTimeout, clearTimeout, setInterval, clearInterval, performance */
import { createRequire } from 'node:module';
import BlindRelay from 'blind-relay';
import mdnsFactory from 'multicast-dns';
import b4a from 'b4a';
import { parseArgs } from 'node:util';

const t0 = performance.now();
const ms = () => Math.round(performance.now() - t0);
const out = (obj) => process.stdout.write(JSON.stringify({ t: ms(), ...obj }) + '\n');

// Trace every DHTError hyperdht creates: the error a connection is destroyed
// with is often not the first one (abort() destroys the puncher first, which
// reports HOLEPUNCH_ABORTED instead of e.g. HOLEPUNCH_DOUBLE_RANDOMIZED_NATS).
// Must run before hyperdht loads lib/connect.js, which destructures these.
const require = createRequire(import.meta.url);
const DHTError = require('hyperdht/lib/errors');
const errorsCreated = [];
for (const name of Object.getOwnPropertyNames(DHTError)) {
  const f = DHTError[name];
  if (typeof f !== 'function' || !/^[A-Z_]+$/.test(name)) continue;
  DHTError[name] = function (...args) {
    errorsCreated.push({ t: ms(), code: name });
    return f.apply(this, args);
  };
}
const HyperDHT = require('hyperdht');

const { positionals, values: opt } = parseArgs({
  allowPositionals: true,
  options: {
    nodes: { type: 'string', default: '1' },
    'same-ip': { type: 'boolean', default: false },
    'relay-seed': { type: 'string' },
    bootstrap: { type: 'string', default: '' },
    seed: { type: 'string' },
    key: { type: 'string' },
    relay: { type: 'string' },
    'relay-addr': { type: 'string' },
    port: { type: 'string' },
    timeout: { type: 'string', default: '60' },
    'upgrade-wait': { type: 'string', default: '60' },
    name: { type: 'string' },
    mode: { type: 'string', default: 'default' },
    ip: { type: 'string' },
    duration: { type: 'string', default: '6' },
  },
});

const role = positionals[0];
const KEEPER_HOSTS = ['203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13'];
const bootstrap = (opt.bootstrap || '').split(',').filter(Boolean);
const closers = [];

function dhtInfo(dht) {
  return {
    firewalled: dht.firewalled,
    randomized: dht.randomized,
    ephemeral: dht.ephemeral,
    host: dht.host,
    port: dht.port,
    bound: dht.io.serverSocket ? dht.io.serverSocket.address() : null,
    clientBound: dht.io.clientSocket ? dht.io.clientSocket.address() : null,
    remoteAddress: dht.remoteAddress(),
    nodes: dht.nodes.length,
  };
}

function hostOf(addr) {
  if (!addr) return 'none';
  if (KEEPER_HOSTS.includes(addr)) return 'keeper(relay)';
  if (addr === '203.0.113.101') return 'ra(NAT of a)';
  if (addr === '203.0.113.102') return 'rb(NAT of b)';
  return addr;
}

function watchStream(tag, conn, tOpen) {
  const raw = conn.rawStream;
  if (!raw) return;
  out({ ev: `${tag}-open`, remoteHost: raw.remoteHost, remotePort: raw.remotePort, via: hostOf(raw.remoteHost) });
  raw.on('remote-changed', () => {
    out({
      ev: `${tag}-remote-changed`,
      afterOpenMs: ms() - tOpen,
      remoteHost: raw.remoteHost,
      remotePort: raw.remotePort,
      via: hostOf(raw.remoteHost),
    });
  });
}

async function shutdown(code) {
  for (const c of closers.reverse()) {
    try {
      await Promise.race([c(), new Promise((r) => setTimeout(r, 2000))]);
    } catch {
      /* closing anyway */
    }
  }
  process.exit(code);
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('uncaughtException', (err) => {
  out({ ev: 'uncaught', message: String(err && err.stack) });
  void shutdown(1);
});

async function keeper() {
  const n = Number(opt.nodes);
  const nodes = [];
  const first = HyperDHT.bootstrapper(49737, KEEPER_HOSTS[0], { host: KEEPER_HOSTS[0] });
  nodes.push(first);
  closers.push(() => first.destroy());
  await first.ready();
  for (let i = 1; i < n; i++) {
    // --same-ip: extra nodes on 203.0.113.10 ports 49738.. (one public IP, like a single keeper box)
    const h = opt['same-ip'] ? KEEPER_HOSTS[0] : KEEPER_HOSTS[i];
    const port = opt['same-ip'] ? 49737 + i : 49737;
    const d = HyperDHT.bootstrapper(port, h, { host: h, bootstrap: [`${KEEPER_HOSTS[0]}:49737`] });
    nodes.push(d);
    closers.push(() => d.destroy());
  }
  await Promise.all(nodes.map((d) => d.ready()));
  let relayKey = null;
  if (opt['relay-seed']) {
    const relay = new BlindRelay.Server({
      createStream: (o) => first.createRawStream({ ...o, framed: true }),
    });
    const keyPair = HyperDHT.keyPair(b4a.from(opt['relay-seed'], 'hex'));
    const server = first.createServer({ shareLocalAddress: false }, (socket) => {
      out({ ev: 'relay-client', from: socket.rawStream && socket.rawStream.remoteHost });
      socket.on('error', () => {});
      const session = relay.accept(socket, { id: socket.remotePublicKey });
      session.on('error', () => {});
      session.on('pair', (isInitiator) => out({ ev: 'relay-pair', isInitiator }));
    });
    await server.listen(keyPair);
    closers.push(() => server.close());
    closers.push(() => relay.close());
    relayKey = b4a.toString(keyPair.publicKey, 'hex');
  }
  out({ ev: 'ready', nodes: nodes.map((d) => `${d.host}:${d.port}`), info: nodes.map(dhtInfo), relayKey });
}

async function makeDht() {
  const dht = new HyperDHT({ bootstrap, host: '0.0.0.0', ...(opt.port ? { port: Number(opt.port) } : {}) });
  closers.push(() => dht.destroy());
  const tReady = ms();
  await dht.ready();
  out({ ev: 'dht-ready', readyMs: ms() - tReady, ...dhtInfo(dht) });
  // the firewall/NAT state can still change after bootstrap: report again later
  setTimeout(() => out({ ev: 'dht-later', ...dhtInfo(dht) }), 5000).unref();
  return dht;
}

async function server() {
  const dht = await makeDht();
  const keyPair = HyperDHT.keyPair(b4a.from(opt.seed, 'hex'));
  const sopts = opt.relay ? { relayThrough: b4a.from(opt.relay, 'hex') } : {};
  const srv = dht.createServer(sopts, (conn) => {
    const tOpen = ms();
    watchStream('server-conn', conn, tOpen);
    conn.on('error', (err) => out({ ev: 'server-conn-error', code: err.code, message: err.message }));
    conn.on('data', (d) => conn.write(d)); // echo
  });
  closers.push(() => srv.close());
  await srv.listen(keyPair);
  out({ ev: 'listening', publicKey: b4a.toString(keyPair.publicKey, 'hex'), ...dhtInfo(dht) });
}

async function client() {
  const dht = await makeDht();
  const key = b4a.from(opt.key, 'hex');
  const copts = {};
  if (opt.relay) copts.relayThrough = b4a.from(opt.relay, 'hex');
  if (opt['relay-addr']) {
    copts.relayAddresses = opt['relay-addr'].split(',').map((s) => {
      const [host, port] = s.split(':');
      return { host, port: Number(port) };
    });
  }
  const tStart = ms();
  const conn = dht.connect(key, copts);
  let tOpen = null;
  let upgraded = null;
  let echoMs = null;
  const result = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ outcome: 'timeout' }), Number(opt.timeout) * 1000);
    conn.on('open', () => {
      clearTimeout(timer);
      tOpen = ms();
      watchStream('client-conn', conn, tOpen);
      const raw = conn.rawStream;
      raw.on('remote-changed', () => {
        upgraded = { afterOpenMs: ms() - tOpen, remoteHost: raw.remoteHost, remotePort: raw.remotePort, via: hostOf(raw.remoteHost) };
      });
      const sent = ms();
      conn.write(b4a.from('ping'));
      conn.once('data', () => {
        echoMs = ms() - sent;
      });
      resolve({
        outcome: 'open',
        openMs: tOpen - tStart,
        remoteHost: raw.remoteHost,
        remotePort: raw.remotePort,
        via: hostOf(raw.remoteHost),
      });
    });
    conn.on('error', (err) => {
      clearTimeout(timer);
      resolve({ outcome: 'error', code: err.code, message: err.message, errorMs: ms() - tStart });
    });
  });
  conn.on('error', () => {});
  if (result.outcome === 'open' && opt.relay && KEEPER_HOSTS.includes(result.remoteHost)) {
    const deadline = Date.now() + Number(opt['upgrade-wait']) * 1000;
    while (!upgraded && Date.now() < deadline && !conn.destroyed) await new Promise((r) => setTimeout(r, 200));
  } else {
    await new Promise((r) => setTimeout(r, 500));
  }
  // Still alive after the wait? One more echo round trip.
  let aliveAtEnd = null;
  if (result.outcome === 'open' && !conn.destroyed) {
    aliveAtEnd = await new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      conn.once('data', () => {
        clearTimeout(timer);
        resolve(true);
      });
      conn.write(b4a.from('ping2'));
    });
  }
  const raw = conn.rawStream;
  out({
    ev: 'result',
    aliveAtEnd,
    ...result,
    echoMs,
    upgraded,
    finalRemote: raw ? `${raw.remoteHost}:${raw.remotePort}` : null,
    destroyed: conn.destroyed,
    punches: dht.stats.punches,
    errorsCreated,
    dht: dhtInfo(dht),
  });
  await shutdown(0);
}

async function mdnsRole() {
  const name = opt.name;
  const peer = name === 'a' ? 'b' : 'a';
  const m =
    opt.mode === 'iface'
      ? mdnsFactory({ interface: opt.ip })
      : opt.mode === 'iface-bind0'
        ? mdnsFactory({ interface: opt.ip, bind: '0.0.0.0' })
        : mdnsFactory();
  const seen = { queriesFromPeer: 0, answersFromPeer: 0, ownLoopback: 0, sendErrors: [], warnings: [], errors: [] };
  m.on('warning', (e) => {
    if (seen.warnings.length < 3) seen.warnings.push(e.code || e.message);
  });
  m.on('error', (e) => seen.errors.push(e.code || e.message));
  m.on('query', (q, rinfo) => {
    if (rinfo.address === opt.ip) {
      seen.ownLoopback++;
      return;
    }
    if (q.questions.some((x) => x.name === `${peer}-q.local`)) seen.queriesFromPeer++;
    if (q.questions.some((x) => x.name === `${name}.local`)) {
      m.respond([{ name: `${name}.local`, type: 'A', ttl: 60, data: opt.ip }], (err) => {
        if (err && seen.sendErrors.length < 3) seen.sendErrors.push(`respond:${err.code}`);
      });
    }
  });
  m.on('response', (r, rinfo) => {
    if (rinfo.address === opt.ip) return;
    if (r.answers.some((x) => x.name === `${peer}.local`)) seen.answersFromPeer++;
  });
  const iv = setInterval(() => {
    m.query({ questions: [{ name: `${peer}.local`, type: 'A' }, { name: `${name}-q.local`, type: 'A' }] }, (err) => {
      if (err && seen.sendErrors.length < 3) seen.sendErrors.push(`query:${err.code}`);
    });
  }, 500);
  await new Promise((r) => setTimeout(r, Number(opt.duration) * 1000));
  clearInterval(iv);
  out({ ev: 'result', mode: opt.mode, ...seen });
  m.destroy();
  process.exit(0);
}

const roles = { keeper, server, client, mdns: mdnsRole };
if (!roles[role]) {
  process.stderr.write('usage: probe.mjs keeper|server|client|mdns [options] (see the header)\n');
  process.exit(2);
}
roles[role]().catch((err) => {
  out({ ev: 'fatal', message: String(err && err.stack) });
  void shutdown(1);
});

import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildAnnouncements,
  buildGoodbye,
  instanceName,
  MAX_TXT_STRINGS,
  MDNS_SERVICE,
  mdnsTag,
  parseResponse,
  TAGS_PER_PACKET,
} from '../../src/adapters/network-swarm/mdns-records.js';
import { waitFor } from '../helpers/wait.js';

// dns-packet is multicast-dns's own encoder; reached through it, so no new dependency.
const requireHere = createRequire(import.meta.url);
const dnsPacket = createRequire(requireHere.resolve('multicast-dns'))('dns-packet') as {
  encode(packet: object): Buffer;
  decode(buf: Buffer): unknown;
};

const id = (): string => randomBytes(32).toString('hex');
const topic = (n: number): Buffer => createHash('sha256').update(`topic ${n}`).digest();
const [T1, T2, T3, T4] = [topic(1), topic(2), topic(3), topic(4)] as [Buffer, Buffer, Buffer, Buffer];

/** A response as another node would send it, with every field overridable to break it. */
function response(o: {
  deviceId: string;
  tags: string[];
  port?: number;
  instance?: string;
  txt?: string[];
  a?: string[];
}): object {
  const instance = o.instance ?? instanceName(o.deviceId);
  const host = 'h.local';
  return {
    type: 'response',
    answers: [{ name: MDNS_SERVICE, type: 'PTR', ttl: 120, data: instance }],
    additionals: [
      { name: instance, type: 'SRV', ttl: 120, data: { port: o.port ?? 4000, target: host } },
      { name: instance, type: 'TXT', ttl: 120, data: o.txt ?? ['v=1', `id=${o.deviceId}`, ...o.tags.map((t) => `t=${t}`)] },
      ...(o.a ?? ['192.168.1.20']).map((data) => ({ name: host, type: 'A', ttl: 120, data })),
    ],
  };
}

describe('mDNS records', () => {
  it('derives a 16-byte tag per topic that does not contain the topic', () => {
    const tag = mdnsTag(T1);
    expect(tag).toMatch(/^[0-9a-f]{32}$/);
    expect(tag).toBe(createHash('sha256').update('agora-mdns/1').update(T1).digest().subarray(0, 16).toString('hex'));
    expect(tag).not.toBe(mdnsTag(T2));
    expect(T1.toString('hex')).not.toContain(tag);
  });

  it('round-trips an announcement split over packets that fit one Ethernet frame', () => {
    const me = id();
    const tags = Array.from({ length: 256 }, (_, i) => mdnsTag(topic(100 + i)));
    const packets = buildAnnouncements(me, 4242, tags, ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
    expect(packets).toHaveLength(Math.ceil(256 / TAGS_PER_PACKET));
    const seen = new Set<string>();
    for (const packet of packets) {
      const wire = dnsPacket.encode(packet);
      expect(wire.length).toBeLessThanOrEqual(1472);
      const { announcements, rejected } = parseResponse(dnsPacket.decode(wire), '10.0.0.9');
      expect(rejected).toEqual([]);
      expect(announcements).toHaveLength(1);
      const [a] = announcements;
      expect(a).toMatchObject({ deviceId: me, goodbye: false });
      // The sender first, then at most 4 A records.
      expect(a?.addresses).toEqual(['10.0.0.9:4242', '10.0.0.1:4242', '10.0.0.2:4242', '10.0.0.3:4242', '10.0.0.4:4242']);
      for (const tag of a?.tags ?? []) seen.add(tag);
    }
    expect([...seen].sort()).toEqual([...tags].sort());
    expect(buildAnnouncements(me, 4242, [], ['10.0.0.1'])).toEqual([]);
  });

  it('reads a goodbye', () => {
    const me = id();
    const { announcements } = parseResponse(dnsPacket.decode(dnsPacket.encode(buildGoodbye(me))), '10.0.0.9');
    expect(announcements).toEqual([{ deviceId: me, goodbye: true, tags: [], addresses: [] }]);
  });

  const good = mdnsTag(T1);
  const other = id();
  const malformed: [string, unknown][] = [
    ['undefined', undefined],
    ['a string', 'response'],
    ['records of the wrong shape', { answers: [null, 1, 'x', { name: 5 }], additionals: {} }],
    ['no TXT', { answers: [{ name: MDNS_SERVICE, type: 'PTR', data: instanceName(other) }] }],
    ['TXT not a list', { answers: [{ name: instanceName(other), type: 'TXT', data: 'v=1' }] }],
    ['an id that is not hex', response({ deviceId: other, tags: [good], txt: ['v=1', `id=${'z'.repeat(64)}`, `t=${good}`] })],
    ['an id of 63 digits', response({ deviceId: other, tags: [good], txt: ['v=1', `id=${other.slice(1)}`, `t=${good}`] })],
    ['two ids', response({ deviceId: other, tags: [good], txt: ['v=1', `id=${other}`, `id=${id()}`, `t=${good}`] })],
    ['another version', response({ deviceId: other, tags: [good], txt: ['v=2', `id=${other}`, `t=${good}`] })],
    ['no version', response({ deviceId: other, tags: [good], txt: [`id=${other}`, `t=${good}`] })],
    ['an upper-case tag', response({ deviceId: other, tags: [good.toUpperCase()] })],
    ['a short tag', response({ deviceId: other, tags: [good.slice(2)] })],
    ['too many strings', response({ deviceId: other, tags: Array.from({ length: MAX_TXT_STRINGS }, () => good) })],
    ['an instance name not matching the id', response({ deviceId: other, tags: [good], instance: instanceName(id()) })],
    ['port 0', response({ deviceId: other, tags: [good], port: 0 })],
    ['port 70000', response({ deviceId: other, tags: [good], port: 70_000 })],
    ['a TXT string over 255 bytes', response({ deviceId: other, tags: [good], txt: ['v=1', `id=${other}`, `x=${'a'.repeat(300)}`] })],
  ];
  it.each(malformed)('rejects %s without throwing', (_what, packet) => {
    expect(parseResponse(packet, '10.0.0.9').announcements).toEqual([]);
  });

  it('keeps only dialable addresses', () => {
    const peer = id();
    const a = ['0.0.0.0', '224.0.0.251', '255.255.255.255', '127.0.0.1', '300.1.1.1', 'fe80::1', '10.0.0.7'];
    const [found] = parseResponse(response({ deviceId: peer, tags: [good], a }), '10.0.0.9').announcements;
    expect(found?.addresses).toEqual(['10.0.0.9:4000', '10.0.0.7:4000']);
    // Loopback only from loopback: two nodes on one machine.
    const [local] = parseResponse(response({ deviceId: peer, tags: [good], a: ['127.0.0.1'] }), '127.0.0.1').announcements;
    expect(local?.addresses).toEqual(['127.0.0.1:4000']);
  });
});

// ---------------------------------------------------------------------------------------
// Real multicast between network namespaces. Two LANs joined by bridges in a hub namespace,
// neither with a default route (multicast sends fail with ENETUNREACH unless the multicast
// interface is set):
//
//   LAN1 10.231.1.0/24: a (.1, eth0)  b (.2)  d (.4)  tool (in d's namespace, .4)
//   LAN2 10.231.2.0/24: a (.1, eth1)  c (.3)
//
// Each node runs MdnsDiscovery in its own Node process (`ip netns exec`), driven over stdio.
// ---------------------------------------------------------------------------------------

const prefix = `agmd${process.pid % 100_000}`;
const NS = { hub: `${prefix}hub`, a: `${prefix}a`, b: `${prefix}b`, c: `${prefix}c`, d: `${prefix}d` };
const PORTS = { a: 40001, b: 40002, c: 40003, d: 40004 };

function ip(...args: string[]): string {
  try {
    return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const stderr = (err as { stderr?: unknown }).stderr;
    throw new Error(`ip ${args.join(' ')} failed: ${typeof stderr === 'string' ? stderr.trim() : String(err)}`, {
      cause: err,
    });
  }
}

function deleteNamespaces(): void {
  const existing = (() => {
    try {
      return ip('netns', 'list');
    } catch {
      return '';
    }
  })();
  for (const ns of Object.values(NS)) {
    if (existing.split('\n').some((line) => line.split(' ')[0] === ns)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Best effort: a second cleanup must not hide the test's own failure.
      }
    }
  }
}

function buildLab(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('The mDNS test needs root and iproute2 (it creates network namespaces with `ip netns`).');
  }
  try {
    execFileSync('ip', ['-V'], { stdio: 'ignore' });
  } catch (err) {
    throw new Error('The mDNS test needs root and iproute2: the `ip` command was not found.', { cause: err });
  }
  deleteNamespaces();
  try {
    ip('netns', 'add', NS.hub);
  } catch (err) {
    throw new Error('The mDNS test needs root and iproute2 (CAP_SYS_ADMIN and CAP_NET_ADMIN for `ip netns`).', {
      cause: err,
    });
  }
  for (const ns of Object.values(NS)) {
    if (ns !== NS.hub) ip('netns', 'add', ns);
    ip('-n', ns, 'link', 'set', 'lo', 'up');
  }
  for (const bridge of ['br1', 'br2']) {
    ip('-n', NS.hub, 'link', 'add', bridge, 'type', 'bridge');
    ip('-n', NS.hub, 'link', 'set', bridge, 'up');
  }
  const links: [keyof typeof NS, string, string, string][] = [
    ['a', 'eth0', 'br1', '10.231.1.1'],
    ['a', 'eth1', 'br2', '10.231.2.1'],
    ['b', 'eth0', 'br1', '10.231.1.2'],
    ['c', 'eth0', 'br2', '10.231.2.3'],
    ['d', 'eth0', 'br1', '10.231.1.4'],
  ];
  for (const [node, dev, bridge, address] of links) {
    const hubSide = `v${node}${dev.slice(-1)}`;
    ip('-n', NS.hub, 'link', 'add', hubSide, 'type', 'veth', 'peer', 'name', dev, 'netns', NS[node]);
    ip('-n', NS.hub, 'link', 'set', hubSide, 'master', bridge, 'up');
    ip('-n', NS[node], 'addr', 'add', `${address}/24`, 'dev', dev);
    ip('-n', NS[node], 'link', 'set', dev, 'up');
  }
}

async function linksUp(): Promise<void> {
  for (const ns of [NS.a, NS.b, NS.c, NS.d]) {
    await waitFor(
      () => {
        const links = JSON.parse(ip('-j', '-n', ns, 'link', 'show')) as { ifname: string; operstate: string }[];
        return links.filter((l) => l.ifname.startsWith('eth')).every((l) => l.operstate === 'UP');
      },
      `the links of ${ns} to come up`,
    );
  }
}

// The child: loads the TypeScript module through a small loader that transpiles .ts with
// the project's own `typescript`, then obeys one JSON command per line on stdin.
const HOOKS = `
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import ts from ${JSON.stringify(pathToFileURL(requireHere.resolve('typescript')).href)};
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL?.endsWith('.ts')) {
      return next(specifier.slice(0, -3) + '.ts', context);
    }
    throw err;
  }
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const out = ts.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, inlineSourceMap: true },
  });
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
`;

const REGISTER = `import { register } from 'node:module';
register(new URL('./hooks.mjs', import.meta.url));
`;

const CHILD = `
import dgram from 'node:dgram';
import { createInterface } from 'node:readline';
const { MdnsDiscovery } = await import(process.argv[2]);
const out = (msg) => process.stdout.write(JSON.stringify(msg, (k, v) => (v instanceof Error ? v.message : v)) + '\\n');
function logger(bindings) {
  const at = (level) => (a, b) =>
    out({ ev: 'log', level, msg: typeof a === 'string' ? a : b, obj: typeof a === 'string' ? bindings : { ...bindings, ...a } });
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: (more) => logger({ ...bindings, ...more }) };
}
let discovery = null;
let tool = null;
const sniffed = [];
const lines = createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const cmd = JSON.parse(line);
  try {
    let result = null;
    if (cmd.cmd === 'start') {
      discovery = new MdnsDiscovery({
        deviceId: cmd.deviceId,
        port: () => cmd.port,
        logger: logger({}),
        intervalMs: cmd.intervalMs,
        onPeer: (peer) => out({ ev: 'peer', peer: { ...peer, topics: peer.topics.map((t) => t.toString('hex')) } }),
      });
      discovery.setTopics(cmd.topics.map((t) => Buffer.from(t, 'hex')));
      discovery.start();
    } else if (cmd.cmd === 'setTopics') {
      discovery.setTopics(cmd.topics.map((t) => Buffer.from(t, 'hex')));
    } else if (cmd.cmd === 'close') {
      await discovery.close();
      result = process.getActiveResourcesInfo();
    } else if (cmd.cmd === 'tool') {
      // A plain socket on LAN1: records every mDNS packet, and sends what it is given.
      tool = dgram.createSocket({ type: 'udp4', reuseAddr: true });
      await new Promise((resolve) => tool.bind(5353, '0.0.0.0', resolve));
      tool.addMembership('224.0.0.251', cmd.address);
      tool.setMulticastInterface(cmd.address);
      tool.on('message', (msg) => sniffed.push(msg));
    } else if (cmd.cmd === 'inject') {
      for (const packet of cmd.packets) {
        await new Promise((resolve, reject) =>
          tool.send(Buffer.from(packet, 'base64'), 5353, '224.0.0.251', (err) => (err ? reject(err) : resolve())));
      }
    } else if (cmd.cmd === 'sniffed') {
      const found = cmd.needles.filter((hex) =>
        sniffed.some((p) => p.includes(Buffer.from(hex, 'hex')) || p.includes(Buffer.from(hex, 'latin1'))));
      result = { packets: sniffed.length, found };
    }
    out({ ev: 'done', seq: cmd.seq, result });
  } catch (err) {
    out({ ev: 'failed', seq: cmd.seq, message: String(err?.stack ?? err) });
  }
});
lines.on('close', () => tool?.close());
`;

interface PeerReport {
  deviceId: string;
  addresses: string[];
  topics: string[];
}
interface LogLine {
  level: string;
  msg: string;
  obj: Record<string, unknown>;
}

/** One Node process in a namespace. */
class Child {
  readonly peers: PeerReport[] = [];
  readonly logs: LogLine[] = [];
  readonly exit: Promise<number | null>;
  exitCode: number | null | undefined = undefined;
  private stderr = '';
  private seq = 0;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly proc: ChildProcessWithoutNullStreams;

  constructor(
    readonly name: string,
    ns: string,
    dir: string,
  ) {
    const moduleUrl = pathToFileURL(
      fileURLToPath(new URL('../../src/adapters/network-swarm/mdns-discovery.ts', import.meta.url)),
    ).href;
    this.proc = spawn('ip', [
      'netns',
      'exec',
      ns,
      process.execPath,
      '--import',
      pathToFileURL(join(dir, 'register.mjs')).href,
      join(dir, 'child.mjs'),
      moduleUrl,
    ]);
    let buffered = '';
    this.proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      buffered += chunk;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        this.onLine(buffered.slice(0, nl));
        buffered = buffered.slice(nl + 1);
      }
    });
    this.proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exit = new Promise((resolve) => {
      this.proc.on('exit', (code) => {
        this.exitCode = code;
        for (const { reject } of this.waiting.values()) reject(new Error(`${name} exited (${code}): ${this.stderr}`));
        this.waiting.clear();
        resolve(code);
      });
    });
  }

  private onLine(line: string): void {
    const msg = JSON.parse(line) as { ev: string; seq?: number; result?: unknown; message?: string; peer?: PeerReport } & LogLine;
    if (msg.ev === 'peer' && msg.peer) this.peers.push(msg.peer);
    else if (msg.ev === 'log') this.logs.push({ level: msg.level, msg: msg.msg, obj: msg.obj });
    else if (msg.seq !== undefined) {
      const waiter = this.waiting.get(msg.seq);
      this.waiting.delete(msg.seq);
      if (msg.ev === 'done') waiter?.resolve(msg.result);
      else waiter?.reject(new Error(`${this.name}: ${msg.message ?? 'failed'}`));
    }
  }

  request<T = unknown>(cmd: Record<string, unknown>): Promise<T> {
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      if (this.exitCode !== undefined) return reject(new Error(`${this.name} has exited: ${this.stderr}`));
      const timer = setTimeout(() => reject(new Error(`${this.name}: no answer to ${String(cmd.cmd)}; ${this.stderr}`)), 15_000);
      this.waiting.set(seq, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v as T);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.proc.stdin.write(`${JSON.stringify({ ...cmd, seq })}\n`);
    });
  }

  /** Ends stdin: a child whose discovery released everything then exits by itself. */
  endInput(): void {
    this.proc.stdin.end();
  }

  kill(): void {
    if (this.exitCode === undefined) this.proc.kill('SIGKILL');
  }

  reported(deviceId: string): PeerReport | undefined {
    return this.peers.filter((p) => p.deviceId === deviceId).at(-1);
  }

  /** Whether the discovery logged that it heard `deviceId` and found no topic in common. */
  ignoredPeer(deviceId: string): boolean {
    return this.logs.some((l) => l.msg === 'mdns: peer shares no topic with us' && l.obj.peer === deviceId.slice(0, 8));
  }
}

/** The child's exit code, or a message saying it is still running after `ms`. */
async function exitCodeWithin(c: Child, ms: number): Promise<number | null | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => {
    timer = setTimeout(() => resolve(`${c.name} still running after ${ms} ms`), ms);
  });
  try {
    return await Promise.race([c.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

describe('MdnsDiscovery on two LANs without a default route (network namespaces, needs root)', () => {
  const ids = { a: id(), b: id(), c: id(), d: id() };
  const hex = (t: Buffer): string => t.toString('hex');
  const children: Record<string, Child> = {};
  let dir = '';
  const child = (name: string): Child => {
    const found = children[name];
    if (found === undefined) throw new Error(`no child ${name}`);
    return found;
  };

  beforeAll(async () => {
    buildLab();
    await linksUp();
    dir = mkdtempSync(join(tmpdir(), 'agora-mdns-'));
    writeFileSync(join(dir, 'hooks.mjs'), HOOKS);
    writeFileSync(join(dir, 'register.mjs'), REGISTER);
    writeFileSync(join(dir, 'child.mjs'), CHILD);
    children.tool = new Child('tool', NS.d, dir);
    await child('tool').request({ cmd: 'tool', address: '10.231.1.4' });
    const topics = { a: [T1, T4], b: [T1], c: [T2], d: [T2] };
    for (const name of ['a', 'b', 'c', 'd'] as const) {
      children[name] = new Child(name, NS[name], dir);
    }
    await Promise.all(
      (['a', 'b', 'c', 'd'] as const).map((name) =>
        child(name).request({ cmd: 'start', deviceId: ids[name], port: PORTS[name], topics: topics[name].map(hex) }),
      ),
    );
  }, 60_000);

  afterAll(() => {
    for (const c of Object.values(children)) c.kill();
    deleteNamespaces();
    if (dir !== '') rmSync(dir, { recursive: true, force: true });
  });

  it('reports members of a shared topic with the address of their LAN, and not the others', async () => {
    const [a, b, c, d] = [child('a'), child('b'), child('c'), child('d')];
    await waitFor(() => a.reported(ids.b) !== undefined && b.reported(ids.a) !== undefined, 'a and b to find each other');
    expect(a.reported(ids.b)).toEqual({ deviceId: ids.b, addresses: ['10.231.1.2:40002'], topics: [hex(T1)] });
    // b hears a on LAN1 only, with a's LAN1 address; a's other topic (T4) is not b's.
    expect(b.reported(ids.a)).toEqual({ deviceId: ids.a, addresses: ['10.231.1.1:40001'], topics: [hex(T1)] });

    // d (LAN1) and c (LAN2) announce T2 only: heard, but never reported.
    await waitFor(
      () => a.ignoredPeer(ids.d) && a.ignoredPeer(ids.c) && b.ignoredPeer(ids.d) && d.ignoredPeer(ids.a) && c.ignoredPeer(ids.a),
      'the nodes to hear the ones that share no topic with them',
    );
    expect(a.peers.map((p) => p.deviceId)).toEqual(expect.not.arrayContaining([ids.c, ids.d, ids.a]));
    expect(b.peers.every((p) => p.deviceId === ids.a)).toBe(true);
    expect(c.peers).toEqual([]);
    expect(d.peers).toEqual([]);
  });

  it('announces a topic change at once; a peer on the second LAN gets that LAN\'s address', async () => {
    const [a, c] = [child('a'), child('c')];
    await c.request({ cmd: 'setTopics', topics: [hex(T2), hex(T4), hex(T3)] });
    await waitFor(() => a.reported(ids.c) !== undefined && c.reported(ids.a) !== undefined, 'a and c to find each other');
    expect(a.reported(ids.c)).toEqual({ deviceId: ids.c, addresses: ['10.231.2.3:40003'], topics: [hex(T4)] });
    expect(c.reported(ids.a)).toEqual({ deviceId: ids.a, addresses: ['10.231.2.1:40001'], topics: [hex(T4)] });
  });

  it('ignores malformed packets, and keeps working', async () => {
    const [a, b, tool] = [child('a'), child('b'), child('tool')];
    const tag = mdnsTag(T1);
    const fake = Array.from({ length: 8 }, () => id());
    const sentinel = id();
    const valid = response({ deviceId: fake[0] ?? '', tags: [tag], a: ['10.231.1.99'] });
    const broken: Buffer[] = [
      Buffer.from('not a DNS packet at all'),
      randomBytes(300),
      dnsPacket.encode(valid).subarray(0, 60),
      ...[
        response({ deviceId: fake[1] ?? '', tags: [tag], port: 0 }),
        response({ deviceId: fake[2] ?? '', tags: [tag], txt: ['v=1', `id=${'z'.repeat(64)}`, `t=${tag}`] }),
        response({ deviceId: fake[3] ?? '', tags: [tag], txt: ['v=2', `id=${fake[3]}`, `t=${tag}`] }),
        response({ deviceId: fake[4] ?? '', tags: Array.from({ length: 100 }, () => tag) }),
        response({ deviceId: fake[5] ?? '', tags: [tag], instance: instanceName(fake[6] ?? '') }),
        response({ deviceId: fake[7] ?? '', tags: [tag.toUpperCase()] }),
        // Someone claiming to be a itself: a never reports itself.
        response({ deviceId: ids.a, tags: [tag] }),
      ].map((p) => dnsPacket.encode(p)),
    ];
    // Sent after the broken ones over the same path: once it is reported, they were read.
    const last = dnsPacket.encode(response({ deviceId: sentinel, tags: [tag], port: 7, a: ['10.231.1.99'] }));
    await tool.request({ cmd: 'inject', packets: [...broken, last].map((p) => p.toString('base64')) });

    await waitFor(() => a.reported(sentinel) !== undefined && b.reported(sentinel) !== undefined, 'the valid packet');
    expect(a.reported(sentinel)).toEqual({
      deviceId: sentinel,
      addresses: ['10.231.1.4:7', '10.231.1.99:7'],
      topics: [hex(T1)],
    });
    for (const node of [a, b]) {
      expect(node.peers.map((p) => p.deviceId)).toEqual(expect.not.arrayContaining([...fake.slice(1), ids.c, ids.d]));
      expect(node.logs.some((l) => l.msg === 'mdns: malformed records ignored')).toBe(true);
    }
    expect(a.peers.map((p) => p.deviceId)).not.toContain(ids.a);
    expect(a.exitCode).toBeUndefined();
  });

  it('puts tags on the wire, never topics', async () => {
    const result = await child('tool').request<{ packets: number; found: string[] }>({
      cmd: 'sniffed',
      needles: [hex(T1), hex(T2), hex(T3), hex(T4), mdnsTag(T1)],
    });
    expect(result.packets).toBeGreaterThan(0);
    expect(result.found).toEqual([mdnsTag(T1)]);
  });

  it('close() releases every socket and timer: the process then exits by itself', async () => {
    const names = ['a', 'b', 'c', 'd'] as const;
    const resources = await Promise.all(names.map((name) => child(name).request<string[]>({ cmd: 'close' })));
    for (const list of resources) {
      expect(list).not.toContain('UDPWRAP');
      expect(list).not.toContain('Timeout');
    }
    for (const name of names) child(name).endInput();
    const codes = await Promise.all(names.map((name) => exitCodeWithin(child(name), 5_000)));
    expect(codes).toEqual([0, 0, 0, 0]);
  });
});

// Self-test of the NAT lab (scripts/natlab.sh + test/natlab/lab.ts): the NATs
// behave as their names say, the offline LAN has multicast and no way out, and
// labs are cleaned up. Needs root: fails (does not skip) without it.
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { BASE_PREFIX, NATLAB_SCRIPT, createLab, labAvailable } from './lab.js';
import type { Lab, LabVariant } from './lab.js';

const labs: Lab[] = [];
afterEach(async () => {
  await Promise.all(labs.splice(0).map((l) => l.destroy()));
});

async function lab(variant: LabVariant): Promise<Lab> {
  const avail = labAvailable();
  if (!avail.ok) throw new Error(avail.why);
  const l = await createLab(variant);
  labs.push(l);
  return l;
}

function namespaces(): string[] {
  return execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter(Boolean);
}

// UDP echo on the keeper: answers every datagram with the source address it saw.
const ECHO = `
const dgram = require('node:dgram');
let n = 0;
const socks = [];
for (const [host, port] of [['203.0.113.10', 7001], ['203.0.113.11', 7001], ['203.0.113.10', 7002]]) {
  const s = dgram.createSocket('udp4');
  socks.push(s);
  s.on('message', (m, r) => {
    const msg = m.toString();
    if (msg.startsWith('poke ')) { // send from 203.0.113.10:7002, never contacted by the host
      const [, h, p] = msg.split(' ');
      socks[2].send('unsolicited', Number(p), h);
      return;
    }
    s.send(JSON.stringify({ address: r.address, port: r.port }), r.port, r.address);
  });
  s.bind(port, host, () => { if (++n === 3) console.log('ready'); });
}`;

// From one socket: what source address do two different keeper addresses see,
// and does a packet from a third keeper port (never contacted) get in?
const MAPPING = `
const dgram = require('node:dgram');
const s = dgram.createSocket('udp4');
const seen = [];
let unsolicited = false;
s.on('message', (m) => {
  const t = m.toString();
  if (t === 'unsolicited') unsolicited = true; else seen.push(JSON.parse(t));
});
s.bind(0, () => {
  s.send('hi', 7001, '203.0.113.10');
  s.send('hi', 7001, '203.0.113.11');
  setTimeout(() => {
    const first = seen[0];
    // 7002 is never contacted from this socket: a port-restricted NAT drops what it sends.
    if (first) s.send('poke ' + first.address + ' ' + first.port, 7001, '203.0.113.10');
    setTimeout(() => { console.log(JSON.stringify({ seen, unsolicited })); s.close(); }, 400);
  }, 400);
});`;

interface Mapping {
  seen: { address: string; port: number }[];
  unsolicited: boolean;
}

async function mappings(l: Lab): Promise<{ a: Mapping; b: Mapping }> {
  const echo = l.exec('keeper', ['node', '-e', ECHO], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve, reject) => {
      echo.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      echo.on('exit', (code) => reject(new Error(`echo exited ${code}`)));
    });
    const [ra, rb] = await Promise.all([l.run('a', ['node', '-e', MAPPING]), l.run('b', ['node', '-e', MAPPING])]);
    expect(ra.code, ra.stderr).toBe(0);
    expect(rb.code, rb.stderr).toBe(0);
    return { a: JSON.parse(ra.stdout) as Mapping, b: JSON.parse(rb.stdout) as Mapping };
  } finally {
    echo.kill('SIGKILL');
  }
}

function expectCone(m: Mapping, wan: string | null): void {
  expect(m.seen).toHaveLength(2);
  expect(m.seen.map((s) => s.address)).toEqual([wan, wan]);
  expect(m.seen[0]?.port).toBe(m.seen[1]?.port); // same mapping for every destination
  expect(m.unsolicited).toBe(false); // port-restricted filtering
}

function expectSymmetric(m: Mapping, wan: string | null): void {
  expect(m.seen).toHaveLength(2);
  expect(m.seen.map((s) => s.address)).toEqual([wan, wan]);
  expect(m.seen[0]?.port).not.toBe(m.seen[1]?.port); // a new port per destination
  expect(m.unsolicited).toBe(false);
}

describe('NAT lab', () => {
  it('is available (root, iproute2, iptables)', () => {
    const avail = labAvailable();
    expect(avail.ok ? '' : avail.why).toBe('');
  });

  it('cone: both NATs keep one mapping per socket and filter by address and port', async () => {
    const l = await lab('cone');
    const { a, b } = await mappings(l);
    expectCone(a, l.addresses.natA);
    expectCone(b, l.addresses.natB);
  });

  it('symmetric-one: a gets a new port per destination, b does not', async () => {
    const l = await lab('symmetric-one');
    const { a, b } = await mappings(l);
    expectSymmetric(a, l.addresses.natA);
    expectCone(b, l.addresses.natB);
  });

  it('symmetric-both: both NATs randomize', async () => {
    const l = await lab('symmetric-both');
    const { a, b } = await mappings(l);
    expectSymmetric(a, l.addresses.natA);
    expectSymmetric(b, l.addresses.natB);
  });

  it('hosts behind a NAT are not reachable from the internet, routers forward only their own LAN', async () => {
    const l = await lab('cone');
    const r = await l.run('keeper', ['ip', 'route', 'get', l.addresses.a]);
    expect(r.code).not.toBe(0); // no route from the internet to a private LAN
    expect((await l.run('a', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('0');
    expect((await l.run('ra', ['sysctl', '-n', 'net.ipv4.ip_forward'])).stdout.trim()).toBe('1');
  });

  it('lan: a and b reach each other and see multicast (mDNS group), nothing reaches the keeper', async () => {
    const l = await lab('lan');
    const { a, b, keeper } = l.addresses;
    const out = await l.run('a', [
      'node',
      '-e',
      `require('node:dgram').createSocket('udp4').send('x', 9, '${keeper}', (e) => { console.log(e ? e.code : 'sent'); process.exit(0); })`,
    ]);
    expect(out.stdout.trim()).toBe('ENETUNREACH');

    // b listens on the mDNS group; a sends with no socket option (the route 224.0.0.0/4 picks eth0).
    const listener = l.exec(
      'b',
      [
        'node',
        '-e',
        `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
         s.on('message', (m, r) => { console.log(m.toString() + ' from ' + r.address); process.exit(0); });
         s.bind(5353, () => { s.addMembership('224.0.0.251', '${b}'); console.log('ready'); });`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      let text = '';
      const got = new Promise<string>((resolve) => {
        listener.stdout?.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes(' from ')) resolve(text);
        });
      });
      await new Promise<void>((resolve) => {
        const check = (): void => (text.includes('ready') ? resolve() : void setTimeout(check, 20));
        check();
      });
      const send = await l.run('a', [
        'node',
        '-e',
        `const s = require('node:dgram').createSocket('udp4');
         s.send('hello', 5353, '224.0.0.251', (e) => { console.log(e ? e.code : 'sent'); s.close(); });`,
      ]);
      expect(send.stdout.trim()).toBe('sent');
      expect(await got).toContain(`hello from ${a}`);
    } finally {
      listener.kill('SIGKILL');
    }
  });

  it('destroy removes every namespace and is idempotent; stale labs are removed by the next createLab', async () => {
    const stale = `${BASE_PREFIX}zz${Math.floor(Math.random() * 1296).toString(36).padStart(2, '0')}`;
    execFileSync(NATLAB_SCRIPT, ['up', stale, 'lan']); // a lab with no living owner, like a crashed run's
    try {
      expect(namespaces().some((n) => n.startsWith(`${stale}-`))).toBe(true);
      const l = await createLab('cone');
      expect(namespaces().some((n) => n.startsWith(`${stale}-`))).toBe(false);
      expect(l.prefix).toMatch(new RegExp(`^${BASE_PREFIX}[a-z0-9]{4}$`));
      expect(namespaces().filter((n) => n.startsWith(`${l.prefix}-`)).sort()).toEqual(
        ['a', 'b', 'inet', 'keeper', 'ra', 'rb'].map((h) => `${l.prefix}-${h}`),
      );
      await l.destroy();
      await l.destroy();
      expect(namespaces().filter((n) => n.startsWith(`${l.prefix}-`))).toEqual([]);
    } finally {
      execFileSync(NATLAB_SCRIPT, ['down', stale]);
    }
  });
});

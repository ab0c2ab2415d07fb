import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createLab, labAvailable, type Lab, type LabVariant } from './lab.js';
import type { Peer } from '../../src/contract/api.js';
import { LabNode, poll } from './lab-node.js';

/**
 * The connectivity matrix, with real `agora` processes in network namespaces (scripts/natlab.sh):
 * for each kind of network, do two members connect, how (tcp / udx punched / relayed through
 * the keeper), how fast, and do a small folder and a chat message cross both ways.
 * The figures go to test-output/natlab-matrix.json (docs/connectivity.md shows them).
 */
const KEEPER_DHT = 49737;
const matrix: Record<string, unknown>[] = [];
const output = join(process.cwd(), 'test-output');

interface Row {
  variant: LabVariant;
  connected: boolean;
  transport: string | null;
  direct: boolean | null;
  connectMs: number | null;
  folderBothWays: boolean;
  chatBothWays: boolean;
  note: string;
}

describe('NAT lab: members connect, sync a folder and chat', () => {
  const avail = labAvailable();
  let lab: Lab | null = null;
  let nodes: LabNode[] = [];
  let root = '';

  afterEach(async (ctx) => {
    // A failed run (or any, with AGORA_NATLAB_LOGS=1) keeps every node's log in test-output/natlab-logs/.
    if (ctx.task.result?.state === 'fail' || process.env.AGORA_NATLAB_LOGS === '1') {
      const dir = join(output, 'natlab-logs', ctx.task.name.split(':')[0] ?? 'run');
      mkdirSync(dir, { recursive: true });
      for (const n of nodes) writeFileSync(join(dir, `${n.label}.log`), n.logTail(100_000) + '\n');
    }
    for (const n of nodes) await n.stop();
    nodes = [];
    await lab?.destroy();
    lab = null;
    if (root) rmSync(root, { recursive: true, force: true });
  });

  afterAll(() => {
    if (matrix.length === 0) return;
    mkdirSync(output, { recursive: true });
    writeFileSync(join(output, 'natlab-matrix.json'), JSON.stringify(matrix, null, 2) + '\n');
  });

  it('has what it needs (root, iproute2, iptables)', () => {
    if (!avail.ok) throw new Error(avail.why);
  });

  for (const variant of ['cone', 'symmetric-one', 'symmetric-both'] as const) {
    it(`${variant}: a guest behind another router joins through the keeper the invite names, then both sync and chat`, async () => {
      if (!avail.ok) throw new Error(avail.why);
      lab = await createLab(variant);
      root = mkdtempSync(join(tmpdir(), `agora-natlab-${variant}-`));
      const { keeper: keeperIp } = lab.addresses;
      const k = new LabNode(lab, 'keeper', 'keeper', root);
      const a = new LabNode(lab, 'a', 'alice', root);
      const b = new LabNode(lab, 'b', 'bob', root);
      nodes = [k, a, b];

      await k.run('init', '--name', 'Keeper');
      await a.run('init', '--name', 'Alice');
      await b.run('init', '--name', 'Bob');
      await k.run('keeper', '--detach', '--listen', '0.0.0.0:7000', '--api', '127.0.0.1:0', '--dht-port', String(KEEPER_DHT), '--public-host', keeperIp);
      // The admin knows the keeper it set up and uses it as its bootstrap; Bob knows nothing but the invite.
      await a.run('start', '--detach', '--listen', '0.0.0.0:0', '--api', '127.0.0.1:0', '--bootstrap', `${keeperIp}:${KEEPER_DHT}`);
      await b.run('start', '--detach', '--listen', '0.0.0.0:0', '--api', '127.0.0.1:0');

      const docsA = join(root, 'alice-docs');
      mkdirSync(docsA);
      writeFileSync(join(docsA, 'from-alice.txt'), 'hello from Alice\n');
      await a.run('space', 'create', 'Acme', '--dir', join(root, 'alice-space'));
      await a.run('folder', 'add', '--space', 'Acme', '--path', docsA, '--name', 'Docs');
      const keeperInvite = await a.json<{ code: string }>('invite', '--space', 'Acme', '--role', 'keeper');
      await k.run('join', keeperInvite.code);
      // The keeper says in the log where it is; Alice's next invite carries it.
      await poll(async () => ((await a.json<{ type: string }[]>('audit', '--space', 'Acme')).some((e) => e.type === 'keeper.endpoint') ? true : undefined), 'the keeper endpoint in Alice\'s log');
      const invite = await a.json<{ code: string }>('invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Docs=write');

      const aliceId = (await a.json<{ deviceId: string }>('status')).deviceId;
      const started = Date.now();
      await b.run('join', invite.code, '--dir', join(root, 'bob-space'));
      const link = await poll(async () => {
        const alice = (await b.json<Peer[]>('peers')).find((p) => p.deviceId === aliceId);
        return alice?.connected ? alice : undefined;
      }, 'Bob connected to Alice', 60_000);
      const connectMs = Date.now() - started;

      // Folder both ways.
      const docsB = join(root, 'bob-space', 'Docs');
      await poll(async () => (existsSync(join(docsB, 'from-alice.txt')) ? true : undefined), 'Alice\'s file on Bob\'s disk');
      expect(readFileSync(join(docsB, 'from-alice.txt'), 'utf8')).toBe('hello from Alice\n');
      writeFileSync(join(docsB, 'from-bob.txt'), 'hello from Bob\n');
      await poll(async () => (existsSync(join(docsA, 'from-bob.txt')) ? true : undefined), 'Bob\'s file on Alice\'s disk');

      // Chat both ways (a direct conversation: a guest does not read #general).
      await a.run('chat', 'send', '--space', 'Acme', '--to', 'Bob', `ping over ${variant}`);
      await poll(async () => ((await b.json<{ text: string }[]>('chat', 'read', '--space', 'Acme', '--with', 'Alice')).some((m) => m.text === `ping over ${variant}`) ? true : undefined), 'Alice\'s message at Bob');
      await b.run('chat', 'send', '--space', 'Acme', '--to', 'Alice', 'pong');
      await poll(async () => ((await a.json<{ text: string }[]>('chat', 'read', '--space', 'Acme', '--with', 'Bob')).some((m) => m.text === 'pong') ? true : undefined), 'Bob\'s message at Alice');

      // How they are connected now (a relayed connection may have been upgraded meanwhile).
      const now = (await b.json<Peer[]>('peers')).find((p) => p.deviceId === link.deviceId);
      const doctor = await b.json<{ nat: string; keeperReachable: boolean | null }>('doctor');
      const row: Row = {
        variant,
        connected: true,
        transport: now?.transport ?? link.transport,
        direct: now?.direct ?? link.direct,
        connectMs,
        folderBothWays: true,
        chatBothWays: true,
        note: `first: ${link.transport}${link.direct ? '' : ' (relayed)'}; Bob's doctor: nat ${doctor.nat}, keeper reachable ${String(doctor.keeperReachable)}`,
      };
      matrix.push({ ...row });
      expect(doctor.keeperReachable).toBe(true);
      if (variant === 'symmetric-both') expect(link.direct).toBe(false); // no hole punch can join two symmetric NATs
      expect(['udx', 'relay', 'tcp']).toContain(row.transport);
    }, 240_000);
  }

  it('lan: two members on one LAN with no route out find each other over mDNS and sync with no internet', async () => {
    if (!avail.ok) throw new Error(avail.why);
    lab = await createLab('lan');
    root = mkdtempSync(join(tmpdir(), 'agora-natlab-lan-'));
    const a = new LabNode(lab, 'a', 'alice', root);
    const b = new LabNode(lab, 'b', 'bob', root);
    nodes = [a, b];
    await a.run('init', '--name', 'Alice');
    await b.run('init', '--name', 'Bob');
    // Default bootstrap (the public DHT): unreachable here, as on a LAN cut off from the internet.
    await a.run('start', '--detach', '--listen', '0.0.0.0:0', '--api', '127.0.0.1:0');
    await b.run('start', '--detach', '--listen', '0.0.0.0:0', '--api', '127.0.0.1:0');
    const docsA = join(root, 'alice-docs');
    mkdirSync(docsA);
    writeFileSync(join(docsA, 'from-alice.txt'), 'hello over the LAN\n');
    await a.run('space', 'create', 'Office', '--dir', join(root, 'alice-space'));
    await a.run('folder', 'add', '--space', 'Office', '--path', docsA, '--name', 'Docs');
    const invite = await a.json<{ code: string }>('invite', '--space', 'Office');
    await b.run('join', invite.code, '--dir', join(root, 'bob-space'));
    const docsB = join(root, 'bob-space', 'Docs');
    await poll(async () => (existsSync(join(docsB, 'from-alice.txt')) ? true : undefined), 'Alice\'s file on Bob\'s disk');

    // Both come back on other ports: the addresses each remembers of the other are stale, and
    // there is no DHT: only mDNS can bring them together again.
    await a.stop();
    await b.stop();
    const port = 7100 + Math.floor(Math.random() * 800);
    await a.run('start', '--detach', '--listen', `0.0.0.0:${port}`, '--api', '127.0.0.1:0');
    await b.run('start', '--detach', '--listen', `0.0.0.0:${port + 1}`, '--api', '127.0.0.1:0');
    const started = Date.now();
    const aliceId = (await a.json<{ deviceId: string }>('status')).deviceId;
    const link = await poll(async () => {
      const alice = (await b.json<Peer[]>('peers')).find((p) => p.deviceId === aliceId);
      return alice?.connected ? alice : undefined;
    }, 'Alice and Bob find each other again over mDNS', 60_000);
    const connectMs = Date.now() - started;
    writeFileSync(join(docsB, 'from-bob.txt'), 'hello back\n');
    await poll(async () => (existsSync(join(docsA, 'from-bob.txt')) ? true : undefined), 'Bob\'s file on Alice\'s disk');
    await a.run('chat', 'send', '--space', 'Office', '--channel', 'general', 'lunch?');
    await poll(async () => ((await b.json<{ text: string }[]>('chat', 'read', '--space', 'Office', '--channel', 'general')).some((m) => m.text === 'lunch?') ? true : undefined), 'Alice\'s message at Bob');
    await b.run('chat', 'send', '--space', 'Office', '--channel', 'general', 'yes');
    await poll(async () => ((await a.json<{ text: string }[]>('chat', 'read', '--space', 'Office', '--channel', 'general')).some((m) => m.text === 'yes') ? true : undefined), 'Bob\'s message at Alice');
    const status = await a.json<{ dht: string }>('status');
    matrix.push({
      variant: 'lan',
      connected: true,
      transport: link.transport,
      direct: link.direct,
      connectMs,
      folderBothWays: true,
      chatBothWays: true,
      note: `after both restarted on new ports, found over mDNS; DHT ${status.dht}`,
    });
    expect(link.transport).toBe('tcp');
    expect(status.dht).toBe('offline');
  }, 240_000);
});

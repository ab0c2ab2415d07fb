import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';
import { readTree } from './tree.js';

interface Status {
  state: string;
  access: 'none' | 'read' | 'write';
  localChanges: number;
  needFiles: number;
  error: string | null;
  peers: { deviceId: string; connected: boolean; inSync: boolean }[];
}

/** Names the guest must never hold or be told: folders it has no grant for, and the members. */
const SECRETS = ['Payroll', 'BETA', 'salaries', 'Bob Staff', 'Alice Admin'];

/** Every file under `dir`, read whole (the database, its WAL, the log, the shared folders). */
function everyByte(dir: string): { path: string; bytes: Buffer }[] {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const abs = join(dir, name);
    const st = statSync(abs, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) out.push(...everyByte(abs));
    else if (st.isFile()) out.push({ path: abs, bytes: readFileSync(abs) });
  }
  return out;
}

function leaks(haystack: string | Buffer, where: string): string[] {
  const found: string[] = [];
  for (const secret of SECRETS) {
    const needles = [Buffer.from(secret, 'utf8'), Buffer.from(secret, 'utf16le')];
    const buf = typeof haystack === 'string' ? Buffer.from(haystack, 'utf8') : haystack;
    if (needles.some((n) => buf.includes(n))) found.push(`${secret} in ${where}`);
  }
  return found;
}

describe('end to end: an extranet space with an admin, a member and a guest (real processes)', () => {
  const a = new AgoraHome('pa');
  const b = new AgoraHome('pb');
  const g = new AgoraHome('pg');
  const shared = (root: string, name: string) => join(root, 'acme', name);
  const adminDir = (name: string) => join(a.home, 'shares', name);
  const ids = { a: '', b: '', g: '' };

  const status = (h: AgoraHome, folder: string) => h.json<Status>('folder', 'status', folder, '--no-watch');

  beforeAll(async () => {
    await a.json('init', '--name', 'Alice Admin');
    await b.json('init', '--name', 'Bob Staff');
    await g.json('init', '--name', 'ACME Buyer');
    const started = await Promise.all([a.start(), b.start(), g.start()]);
    ids.a = started[0]!.deviceId as string;
    ids.b = started[1]!.deviceId as string;
    ids.g = started[2]!.deviceId as string;
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'acme'));
    const files: Record<string, Record<string, string>> = {
      Orders: { 'order-1.txt': 'ACME order 1\n' },
      Invoices: { 'invoice-1.txt': 'ACME invoice 1\n' },
      'Staff Payroll': { 'salaries.txt': 'confidential\n' },
      'BETA – Orders': { 'beta-order.txt': 'another customer\n' },
    };
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(adminDir(name), { recursive: true });
      for (const [file, text] of Object.entries(content)) writeFileSync(join(adminDir(name), file), text);
      await a.json('folder', 'add', '--space', 'Acme', '--path', adminDir(name), '--name', name);
    }
    const member = await a.json<{ code: string }>('invite', '--space', 'Acme', '--role', 'member');
    await b.json('join', member.code, '--dir', join(b.home, 'acme'));
    const guest = await a.json<{ code: string; role: string }>('invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Orders=write', '--grant', 'Invoices=read');
    expect(guest.role).toBe('guest');
    await g.json('join', guest.code, '--dir', join(g.home, 'acme'));
  }, 90_000);

  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose(), g.dispose()]);
  });

  it('the guest gets exactly its two folders; the member gets all four', async () => {
    await waitFor(async () => (await readTree(shared(g.home, 'Invoices')))['invoice-1.txt'] !== undefined && (await readTree(shared(g.home, 'Orders')))['order-1.txt'] !== undefined, 'the guest\'s folders on its disk', 60_000);
    await waitFor(async () => (await readTree(shared(b.home, 'Staff Payroll')))['salaries.txt'] !== undefined && (await readTree(shared(b.home, 'BETA – Orders')))['beta-order.txt'] !== undefined, 'all folders on the member\'s disk', 60_000);
    expect(readdirSync(join(g.home, 'acme')).sort()).toEqual(['Invoices', 'Orders']);
    const list = await g.json<{ name: string }[]>('folder', 'list');
    expect(list.map((f) => f.name).sort()).toEqual(['Invoices', 'Orders']);
    expect((await status(g, 'Acme/Invoices')).access).toBe('read');
    expect((await status(g, 'Acme/Orders')).access).toBe('write');
  });

  it('effective access is listed per member, and the guest sees only itself and the staff', async () => {
    const access = await a.json<{ memberId: string; name: string; role: string; access: string }[]>('folder', 'access', 'Acme/Invoices');
    const byId = new Map(access.map((m) => [m.memberId, m]));
    expect(byId.get(ids.a)).toMatchObject({ role: 'admin', access: 'write' });
    expect(byId.get(ids.b)).toMatchObject({ role: 'member', access: 'write', name: 'Bob Staff' });
    expect(byId.get(ids.g)).toMatchObject({ role: 'guest', access: 'read', name: 'ACME Buyer' });
    const internal = await a.json<{ memberId: string; access: string }[]>('folder', 'access', 'Acme/Staff Payroll');
    expect(internal.find((m) => m.memberId === ids.g)?.access).toBe('none');
    const seenByGuest = await g.json<{ memberId: string; name: string }[]>('members', '--space', 'Acme');
    expect(seenByGuest.map((m) => m.memberId).sort()).toEqual([ids.a, ids.b, ids.g].sort());
  });

  it('a write by the guest into Orders reaches everyone; into Invoices (read only) it reaches nobody', async () => {
    writeFileSync(join(shared(g.home, 'Invoices'), 'invoice-1.txt'), 'changed by the guest\n');
    writeFileSync(join(shared(g.home, 'Invoices'), 'fake-invoice.txt'), 'planted by the guest\n');
    await waitFor(async () => (await status(g, 'Acme/Invoices')).localChanges === 2, 'two local changes on the guest', 30_000);
    // A later change in a folder the guest may write: once it is everywhere, an earlier one
    // in Invoices would have arrived too, had it been sent or accepted.
    writeFileSync(join(shared(g.home, 'Orders'), 'order-2.txt'), 'ACME order 2\n');
    await waitFor(async () => (await readTree(adminDir('Orders')))['order-2.txt'] !== undefined && (await readTree(shared(b.home, 'Orders')))['order-2.txt'] !== undefined, 'order-2 on A and B', 30_000);
    for (const dir of [adminDir('Invoices'), shared(b.home, 'Invoices')]) {
      const tree = await readTree(dir);
      expect(Object.keys(tree)).toEqual(['invoice-1.txt']);
      expect(readFileSync(join(dir, 'invoice-1.txt'), 'utf8')).toBe('ACME invoice 1\n');
    }
    const revert = await g.json<{ reverted: number }>('folder', 'revert', 'Acme/Invoices');
    expect(revert.reverted).toBe(2);
    await waitFor(async () => (await status(g, 'Acme/Invoices')).localChanges === 0, 'the guest reverted', 30_000);
    expect(readFileSync(join(shared(g.home, 'Invoices'), 'invoice-1.txt'), 'utf8')).toBe('ACME invoice 1\n');
    expect(Object.keys(await readTree(shared(g.home, 'Invoices')))).toEqual(['invoice-1.txt']);
  });

  it('no byte the guest\'s node stores, and no answer it gives, names another folder or a member', async () => {
    const answers: [string, string][] = [];
    for (const args of [['status'], ['space', 'list'], ['members', '--space', 'Acme'], ['folder', 'list'], ['peers'], ['audit', '--space', 'Acme'], ['conflicts'], ['folder', 'access', 'Acme/Orders']]) {
      for (const json of [true, false]) {
        const r = await g.run(...args, ...(json ? ['--json'] : []));
        expect(r.code, `agora ${args.join(' ')}: ${r.stderr}`).toBe(0);
        answers.push([`agora ${args.join(' ')}${json ? ' --json' : ''}`, r.stdout + r.stderr]);
      }
    }
    const found = [...answers.flatMap(([what, text]) => leaks(text, what)), ...everyByte(g.home).flatMap((f) => leaks(f.bytes, f.path))];
    expect(found).toEqual([]);
    // The same scan finds them on the member: the check can fail.
    expect(everyByte(b.home).flatMap((f) => leaks(f.bytes, f.path)).length).toBeGreaterThan(0);
    // Not even the ids of the folders it has no grant for: its log holds those entries only as
    // stubs (an id and parent ids, all hashes).
    const folders = await a.json<{ folderId: string; name: string }[]>('folder', 'list');
    const hidden = folders.filter((f) => f.name === 'Staff Payroll' || f.name === 'BETA – Orders').map((f) => f.folderId);
    expect(hidden).toHaveLength(2);
    const holds = (home: string, id: string) => everyByte(home).some((f) => f.bytes.includes(Buffer.from(id, 'utf8')) || f.bytes.includes(Buffer.from(id, 'hex')));
    expect(hidden.filter((id) => holds(g.home, id))).toEqual([]);
    expect(hidden.filter((id) => holds(b.home, id))).toEqual(hidden);
  });

  it('the audit lists joins, grants and file changes, signed by their authors', async () => {
    const audit = await a.json<{ type: string; author?: string; by?: string; path?: string; signed?: boolean }[]>('audit', '--space', 'Acme');
    const types = audit.map((e) => e.type);
    expect(types).toEqual(expect.arrayContaining(['space.create', 'folder.add', 'member.add', 'folder.grant', 'file.change']));
    // The guest's change, relayed to A by its node, still proves its author.
    expect(audit.filter((e) => e.type === 'file.change').every((e) => e.signed)).toBe(true);
    expect(audit.some((e) => e.type === 'file.change' && e.path === 'order-2.txt' && e.by === ids.g)).toBe(true);
    const guestView = await g.json<{ type: string }[]>('audit', '--space', 'Acme');
    expect(guestView.length).toBeGreaterThan(0);
  });

  it('a removed guest is disconnected within seconds, refused when it comes back, and its changes reach nobody', async () => {
    const removed = await a.run('members', 'remove', ids.g, '--space', 'Acme');
    expect(removed.code, removed.stderr).toBe(0);
    const connectedTo = async (h: AgoraHome, id: string) => (await h.json<{ deviceId: string; connected: boolean }[]>('peers')).some((p) => p.deviceId === id && p.connected);
    await waitFor(async () => !(await connectedTo(a, ids.g)) && !(await connectedTo(b, ids.g)), 'the guest disconnected by A and B', 10_000);
    await g.stop();
    await g.start();
    writeFileSync(join(shared(g.home, 'Orders'), 'after-removal.txt'), 'too late\n');
    // B learns the removal and still syncs with A: a change of A's reaches B, the guest's does not.
    writeFileSync(join(adminDir('Orders'), 'order-3.txt'), 'ACME order 3\n');
    await waitFor(async () => (await readTree(shared(b.home, 'Orders')))['order-3.txt'] !== undefined, 'order-3 on B', 30_000);
    expect(await connectedTo(a, ids.g)).toBe(false);
    expect(await connectedTo(b, ids.g)).toBe(false);
    expect((await readTree(adminDir('Orders')))['after-removal.txt']).toBeUndefined();
    expect((await readTree(shared(b.home, 'Orders')))['after-removal.txt']).toBeUndefined();
    // What it had stays on its disk: nothing can take back what was shared.
    expect((await readTree(shared(g.home, 'Orders')))['order-1.txt']).toBeDefined();
  }, 60_000);
});

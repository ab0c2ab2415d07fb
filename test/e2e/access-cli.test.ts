import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';

interface Folder {
  folderId: string;
  name: string;
  path: string;
}
interface MemberAccess {
  memberId: string;
  name: string;
  role: string;
  access: string;
}
interface AuditItem {
  type: string;
  entryId?: string;
  at: number;
  author?: string;
  applied?: boolean;
  member?: string;
  role?: string;
  folderId?: string;
  folderName?: string | null;
  access?: unknown;
  to?: string;
  path?: string;
  by?: string | null;
  deleted?: boolean;
  size?: number;
  signed?: boolean;
  recordedAt?: number;
}

/**
 * The access commands driven through real processes: admin A, member B, guest G granted
 * write on Orders and read on Invoices; Secret is for the firm only. Checks JSON fields and
 * exit codes; what each node syncs is the sync tests' business.
 */
describe('end to end: roles, grants, access, audit and revert from the CLI', () => {
  const a = new AgoraHome('xa');
  const b = new AgoraHome('xb');
  const g = new AgoraHome('xg');
  const ids = { a: '', b: '', g: '' };
  const folders: Record<'orders' | 'invoices' | 'secret', Folder> = {} as never;

  beforeAll(async () => {
    await a.json('init', '--name', 'Alice');
    await b.json('init', '--name', 'Bob');
    await g.json('init', '--name', 'Gina');
    const started = await Promise.all([a.start(), b.start(), g.start()]);
    ids.a = started[0]!.deviceId as string;
    ids.b = started[1]!.deviceId as string;
    ids.g = started[2]!.deviceId as string;
    await a.json('space', 'create', 'Acme', '--dir', join(a.home, 'acme'));
    for (const [key, name] of [['orders', 'Orders'], ['invoices', 'Invoices'], ['secret', 'Secret']] as const) {
      const dir = join(a.home, 'shared', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, `${key}.txt`), `${name}\n`);
      folders[key] = await a.json<Folder>('folder', 'add', '--space', 'Acme', '--path', dir, '--name', name);
    }
    const member = await a.json<{ code: string }>('invite', '--space', 'Acme');
    await b.json('join', member.code, '--dir', join(b.home, 'acme'));
  }, 60_000);

  afterAll(async () => {
    await Promise.all([a.dispose(), b.dispose(), g.dispose()]);
  });

  it('invite --grant resolves folder names and reports the grants; bad grants are usage errors', async () => {
    const bad = await a.run('invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Orders');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('FOLDER=ACCESS');
    const badAccess = await a.run('invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Orders=admin');
    expect(badAccess.code).toBe(2);
    expect(badAccess.stderr).toContain('none, read or write');
    const unknown = await a.run('invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Nope=read', '--json');
    expect(unknown.code).toBe(1);
    expect(JSON.parse(unknown.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });

    const invite = await a.json<{ code: string; role: string; grants: { folderId: string; name: string; access: string }[] }>(
      'invite', '--space', 'Acme', '--role', 'guest', '--grant', 'Orders=write', '--grant', 'Invoices=read',
    );
    expect(invite.role).toBe('guest');
    expect(invite.grants).toEqual([
      { folderId: folders.orders.folderId, name: 'Orders', access: 'write' },
      { folderId: folders.invoices.folderId, name: 'Invoices', access: 'read' },
    ]);
    await g.json('join', invite.code, '--dir', join(g.home, 'acme'));
    await waitFor(async () => (await g.json<Folder[]>('folder', 'list')).length === 2, 'G gets its two folders', 20_000);
    const names = (await g.json<Folder[]>('folder', 'list')).map((f) => f.name).sort();
    expect(names).toEqual(['Invoices', 'Orders']);
  }, 60_000);

  it('folder access: the admin sees everyone; the guest sees itself and the firm only', async () => {
    const onA = await a.json<MemberAccess[]>('folder', 'access', 'Acme/Invoices');
    expect(onA).toEqual(
      expect.arrayContaining([
        { memberId: ids.a, name: 'Alice', role: 'admin', access: 'write' },
        { memberId: ids.b, name: 'Bob', role: 'member', access: 'write' },
        { memberId: ids.g, name: 'Gina', role: 'guest', access: 'read' },
      ]),
    );
    expect(onA).toHaveLength(3);
    const onG = await g.json<MemberAccess[]>('folder', 'access', 'Orders');
    expect(onG.find((m) => m.memberId === ids.g)).toMatchObject({ role: 'guest', access: 'write' });
    expect(onG.map((m) => m.memberId).sort()).toEqual([ids.a, ids.b, ids.g].sort());
    // A folder the guest may not read does not exist for it, by name or by id.
    for (const ref of ['Secret', folders.secret.folderId]) {
      const r = await g.run('folder', 'access', ref, '--json');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'NOT_FOUND' } });
    }
  });

  it('folder grant: admins only, with a readable refusal; role targets and members by name', async () => {
    const refused = await b.run('folder', 'grant', 'Acme/Orders', '--to', 'guests', '--access', 'read', '--json');
    expect(refused.code).toBe(1);
    const err = JSON.parse(refused.stderr) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('FORBIDDEN');
    expect(err.error.message).toContain('Only admins of the space can');
    const usage = await a.run('folder', 'grant', 'Acme/Orders', '--to', 'members', '--access', 'everything');
    expect(usage.code).toBe(2);

    const toMembers = await a.json<{ to: string; access: string; folderId: string }>('folder', 'grant', 'Acme/Invoices', '--to', 'member', '--access', 'read');
    expect(toMembers).toMatchObject({ to: 'members', access: 'read', folderId: folders.invoices.folderId });
    const toBob = await a.json<{ to: string; toName: string; access: string }>('folder', 'grant', 'Acme/Secret', '--to', 'Bob', '--access', 'none');
    expect(toBob).toMatchObject({ to: ids.b, toName: 'Bob', access: 'none' });
    const access = await a.json<MemberAccess[]>('folder', 'access', folders.invoices.folderId.slice(0, 8));
    expect(access.find((m) => m.memberId === ids.b)?.access).toBe('read');
  });

  it('folder add --access: bad input is a usage error; a member cannot share with guests', async () => {
    const dir = join(b.home, 'notes');
    const bad = await b.run('folder', 'add', '--space', 'Acme', '--path', dir, '--access', 'members=write,guests=maybe');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('none, read or write');
    const forbidden = await b.run('folder', 'add', '--space', 'Acme', '--path', dir, '--access', 'guests=read', '--json');
    expect(forbidden.code).toBe(1);
    expect(JSON.parse(forbidden.stderr).error.message).toContain('Only admins of the space can share a folder with guests');
  });

  it('read-only folders: status says so; revert answers {folderId, reverted}', async () => {
    await waitFor(async () => (await g.json<{ access: string }>('folder', 'status', 'Invoices', '--no-watch')).access === 'read', 'G sees Invoices as read-only');
    const status = await g.json<{ access: string; localChanges: number }>('folder', 'status', 'Invoices', '--no-watch');
    expect(typeof status.localChanges).toBe('number');
    const text = await g.run('folder', 'status', 'Invoices', '--no-watch');
    expect(text.stdout).toContain('read-only');
    const reverted = await g.json<{ folderId: string; reverted: number }>('folder', 'revert', 'Invoices');
    expect(reverted.folderId).toBe(folders.invoices.folderId);
    expect(typeof reverted.reverted).toBe('number');
  });

  it('members role / remove: usage errors, admins only, never the last admin', async () => {
    expect((await a.run('members', 'role', 'Bob', 'admin')).code).toBe(2); // no --space
    expect((await a.run('members', 'role', 'Bob', '--space', 'Acme', 'superuser')).code).toBe(2);
    const byMember = await b.run('members', 'role', 'Gina', '--space', 'Acme', 'member', '--json');
    expect(byMember.code).toBe(1);
    expect(JSON.parse(byMember.stderr)).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const last = await a.run('members', 'role', 'Alice', '--space', 'Acme', 'member', '--json');
    expect(last.code).toBe(1);
    expect(JSON.parse(last.stderr)).toMatchObject({ error: { code: 'LAST_ADMIN' } });
    const lastRemove = await a.run('members', 'remove', ids.a.slice(0, 10), '--space', 'Acme', '--json');
    expect(JSON.parse(lastRemove.stderr)).toMatchObject({ error: { code: 'LAST_ADMIN' } });

    const promoted = await a.json<{ memberId: string; role: string }>('members', 'role', 'Bob', '--space', 'Acme', 'admin');
    expect(promoted).toMatchObject({ memberId: ids.b, role: 'admin' });
    const listed = await a.json<{ memberId: string; role: string }[]>('members', '--space', 'Acme');
    expect(listed.find((m) => m.memberId === ids.b)?.role).toBe('admin');
  });

  it("audit: the admin's shows joins, grants, roles and file changes; the guest's nothing about Secret", async () => {
    const onA = await a.json<AuditItem[]>('audit', '--space', 'Acme');
    expect(onA[0]).toMatchObject({ type: 'space.create', author: ids.a, applied: true });
    expect(onA).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'member.add', member: ids.g, role: 'guest', applied: true }),
        expect.objectContaining({ type: 'folder.grant', folderId: folders.orders.folderId, to: ids.g, access: 'write' }),
        expect.objectContaining({ type: 'folder.grant', folderId: folders.invoices.folderId, to: 'members', access: 'read' }),
        expect.objectContaining({ type: 'member.role', member: ids.b, role: 'admin' }),
        expect.objectContaining({ type: 'file.change', folderId: folders.orders.folderId, path: 'orders.txt', by: ids.a, deleted: false }),
      ]),
    );
    const text = await a.run('audit', '--space', 'Acme');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('signed by its author');

    await waitFor(async () => (await g.json<AuditItem[]>('audit', '--space', 'Acme')).some((i) => i.type === 'member.role'), "the role change reaches G's log");
    const onG = JSON.stringify(await g.json<AuditItem[]>('audit', '--space', 'Acme'));
    expect(onG).not.toContain(folders.secret.folderId);
    expect(onG).not.toContain('Secret');
    expect(onG).toContain(folders.orders.folderId);
  });

  it('audit: every change of a file, not only the last; --limit keeps the newest, --folder narrows', async () => {
    const ordersFile = (items: AuditItem[]) => items.filter((i) => i.type === 'file.change' && i.path === 'orders.txt');
    writeFileSync(join(a.home, 'shared', 'Orders', 'orders.txt'), 'Orders, second version\n');
    for (const home of [a, g]) {
      await waitFor(async () => ordersFile(await home.json<AuditItem[]>('audit', '--space', 'Acme', '--folder', 'Orders')).length === 2, `${home.home}: both versions`, 20_000);
      const changes = ordersFile(await home.json<AuditItem[]>('audit', '--space', 'Acme', '--folder', 'Orders'));
      expect(changes.map((c) => [c.by, c.size, c.deleted, c.signed, c.folderId])).toEqual([
        [ids.a, 'Orders\n'.length, false, true, folders.orders.folderId],
        [ids.a, 'Orders, second version\n'.length, false, true, folders.orders.folderId],
      ]);
      expect(changes[0]!.recordedAt! <= changes[1]!.recordedAt!).toBe(true);
    }
    const onA = await a.json<AuditItem[]>('audit', '--space', 'Acme', '--folder', 'Orders');
    // Log entries stay all; file changes are only those of Orders.
    expect(onA.some((i) => i.type === 'folder.add' && i.folderId === folders.secret.folderId)).toBe(true);
    expect(onA.filter((i) => i.type === 'file.change').every((i) => i.folderId === folders.orders.folderId)).toBe(true);
    const newest = (await a.json<AuditItem[]>('audit', '--space', 'Acme', '--limit', '1')).filter((i) => i.type === 'file.change');
    expect(newest).toHaveLength(1);
    expect(newest[0]).toMatchObject({ path: 'orders.txt', size: 'Orders, second version\n'.length });
    const text = await a.run('audit', '--space', 'Acme', '--limit', '1');
    expect(text.stdout).toContain('the newest 1');
    expect((await a.run('audit', '--space', 'Acme', '--limit', 'all')).code).toBe(2);
    // A guest cannot narrow to a folder it may not read.
    const hidden = await g.run('audit', '--space', 'Acme', '--folder', 'Secret', '--json');
    expect(hidden.code).toBe(1);
  }, 60_000);

  it('members remove: the removed member is reported and gone from the list', async () => {
    const removed = await a.json<{ memberId: string; removed: boolean; spaceId: string }>('members', 'remove', 'Gina', '--space', 'Acme');
    expect(removed).toMatchObject({ memberId: ids.g, removed: true });
    const listed = await a.json<{ memberId: string }[]>('members', '--space', 'Acme');
    expect(listed.map((m) => m.memberId)).not.toContain(ids.g);
    const audit = await a.json<AuditItem[]>('audit', '--space', 'Acme');
    expect(audit).toEqual(expect.arrayContaining([expect.objectContaining({ type: 'member.remove', member: ids.g, applied: true })]));
  });
});

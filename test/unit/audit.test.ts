import { describe, expect, it } from 'vitest';
import { generateKeyPair } from '../../src/core/crypto.js';
import { buildAudit, type AuditFileRecord, type AuditItem } from '../../src/core/spaces/audit.js';
import { createEntry } from '../../src/core/spaces/entries.js';
import { replay } from '../../src/core/spaces/replay.js';
import { commitName, type DecodedEntry, type LogBody } from '../../src/protocol/index.js';
import type { KeyPair } from '../../src/ports/network.js';

const keys = { admin: generateKeyPair(), bob: generateKeyPair(), g1: generateKeyPair(), g2: generateKeyPair() };
const id = (k: KeyPair) => k.publicKey.toString('hex');
const ORDERS = '0'.repeat(63) + '1';
const SECRET = '0'.repeat(63) + '2';

const names = new Map<string, string>([
  [id(keys.admin), 'Alice'],
  [id(keys.bob), 'Bob'],
  [id(keys.g1), 'Gina'],
  [id(keys.g2), 'Otto'],
  [ORDERS, 'Orders'],
  [SECRET, 'Secret'],
]);
/** What a node knows of names: everything for the admin, less for a guest (see each test). */
const lookup = (known: Set<string>) => ({
  member: (m: string) => (known.has(m) ? names.get(m)! : null),
  folder: (f: string) => (known.has(f) ? names.get(f)! : null),
  channel: (c: string) => (known.has(c) ? names.get(c)! : null),
});

/** A small history: admin adds Bob and two guests, two folders, grants, and one refused entry. */
function history(): DecodedEntry[] {
  let time = 1000;
  const genesis = createEntry(keys.admin, { space: null, parents: [], body: { type: 'space.create', name: 'Acme', creatorName: commitName('Alice').ref }, time: time++ });
  const log = [genesis];
  const add = (author: KeyPair, body: LogBody) => {
    const e = createEntry(author, { space: genesis.id, parents: [log[log.length - 1]!.id], body, time: time++ });
    log.push(e);
  };
  const member = (k: KeyPair, role: 'member' | 'guest'): LogBody => ({ type: 'member.add', member: id(k), name: commitName(names.get(id(k))!).ref, role, invite: null });
  add(keys.admin, member(keys.bob, 'member'));
  add(keys.admin, member(keys.g1, 'guest'));
  add(keys.admin, member(keys.g2, 'guest'));
  add(keys.admin, { type: 'folder.add', folder: ORDERS, name: commitName('Orders').ref, access: { members: 'write', guests: 'none' } });
  add(keys.bob, { type: 'folder.add', folder: SECRET, name: commitName('Secret').ref, access: { members: 'write', guests: 'none' } });
  add(keys.admin, { type: 'folder.grant', folder: ORDERS, to: id(keys.g1), access: 'write' });
  add(keys.admin, { type: 'folder.grant', folder: ORDERS, to: id(keys.g2), access: 'read' });
  add(keys.g1, { type: 'member.remove', member: id(keys.bob) }); // refused: guests remove nobody
  add(keys.g2, { type: 'member.remove', member: id(keys.g1) }); // refused, and about another guest
  add(keys.admin, { type: 'member.role', member: id(keys.bob), role: 'admin' });
  return log;
}

/** A history row; recorded in mtime order unless `seq` says otherwise. */
const file = (path: string, by: KeyPair, mtimeMs: number, extra: Partial<AuditFileRecord> = {}): AuditFileRecord => ({
  path,
  type: 'file',
  modifiedBy: id(by),
  mtimeMs,
  deleted: false,
  size: 10,
  signed: true,
  recordedAt: mtimeMs + 5,
  seq: mtimeMs,
  ...extra,
});
/** A folder's history as the store gives it: newest (highest seq) first, at most `limit`. */
const historyOf = (folderId: string, records: AuditFileRecord[]) => ({
  folderId,
  history: (limit: number) => [...records].sort((a, b) => b.seq - a.seq).slice(0, limit),
});
const files = [
  historyOf(ORDERS, [file('b.pdf', keys.g2, 300), file('a.pdf', keys.g1, 200), file('dir', keys.admin, 100, { type: 'dir' }), file('old.txt', keys.admin, 50, { deleted: true, size: 0 })]),
  historyOf(SECRET, [file('plan.txt', keys.bob, 250)]),
];

function audit(viewer: KeyPair, known: Set<string>): AuditItem[] {
  const log = history();
  return buildAudit({ result: replay(log[0]!.id, log), viewer: id(viewer), names: lookup(known), files });
}

const everything = new Set(names.keys());

describe('audit', () => {
  it('an admin gets one item per entry in replay order, with authority and details', () => {
    const items = audit(keys.admin, everything);
    const entries = items.filter((i) => i.type !== 'file.change');
    expect(entries.map((i) => i.type)).toEqual([
      'space.create', 'member.add', 'member.add', 'member.add', 'folder.add', 'folder.add', 'folder.grant', 'folder.grant', 'member.remove', 'member.remove', 'member.role',
    ]);
    expect(entries[0]).toMatchObject({ author: id(keys.admin), authorName: 'Alice', member: id(keys.admin), role: 'admin', spaceName: 'Acme', applied: true, at: 1000 });
    expect(entries[2]).toMatchObject({ member: id(keys.g1), memberName: 'Gina', role: 'guest', applied: true });
    expect(entries[4]).toMatchObject({ folderId: ORDERS, folderName: 'Orders', access: { members: 'write', guests: 'none' } });
    expect(entries[6]).toMatchObject({ folderId: ORDERS, to: id(keys.g1), member: id(keys.g1), memberName: 'Gina', access: 'write' });
    expect(entries[8]).toMatchObject({ author: id(keys.g1), member: id(keys.bob), applied: false, reason: 'only admins remove members' });
    expect(entries[10]).toMatchObject({ type: 'member.role', member: id(keys.bob), role: 'admin', applied: true });
    expect(entries.filter((e) => 'applied' in e && e.applied).every((e) => !('reason' in e))).toBe(true);
  });

  it('file changes come after the log, oldest first, without directories', () => {
    const changes = audit(keys.admin, everything).filter((i) => i.type === 'file.change');
    expect(changes.map((c) => [c.path, c.at, c.by, c.deleted])).toEqual([
      ['old.txt', 50, id(keys.admin), true],
      ['a.pdf', 200, id(keys.g1), false],
      ['plan.txt', 250, id(keys.bob), false],
      ['b.pdf', 300, id(keys.g2), false],
    ]);
    expect(changes[1]).toEqual({
      type: 'file.change',
      folderId: ORDERS,
      folderName: 'Orders',
      path: 'a.pdf',
      by: id(keys.g1),
      byName: 'Gina',
      at: 200,
      deleted: false,
      size: 10,
      signed: true,
      recordedAt: 205,
    });
  });

  describe('history of one path', () => {
    const log = history();
    const result = replay(log[0]!.id, log);
    // Alice three times, Bob once, then Alice deletes it; one unsigned version; the order of
    // recording (seq) is not the order of the authors' clocks.
    const quote = [
      file('quote.txt', keys.admin, 1000, { seq: 11, size: 1 }),
      file('quote.txt', keys.admin, 1100, { seq: 12, size: 2 }),
      file('quote.txt', keys.admin, 1200, { seq: 13, size: 3 }),
      file('quote.txt', keys.bob, 900, { seq: 14, size: 4, signed: false }),
      file('quote.txt', keys.admin, 1300, { seq: 16, deleted: true, size: 0 }),
    ];
    const other = [file('other.txt', keys.bob, 1150, { seq: 15 })];
    const run = (fileLimit?: number, viewer = keys.admin) =>
      buildAudit({ result, viewer: id(viewer), names: lookup(everything), files: [historyOf(ORDERS, quote), historyOf(SECRET, other)], ...(fileLimit === undefined ? {} : { fileLimit }) }).filter(
        (i) => i.type === 'file.change',
      );

    it('every change appears, in the order this device recorded them', () => {
      expect(run().map((c) => [c.path, c.byName, c.size, c.deleted, c.signed])).toEqual([
        ['quote.txt', 'Alice', 1, false, true],
        ['quote.txt', 'Alice', 2, false, true],
        ['quote.txt', 'Alice', 3, false, true],
        ['quote.txt', 'Bob', 4, false, false],
        ['other.txt', 'Bob', 10, false, true],
        ['quote.txt', 'Alice', 0, true, true],
      ]);
    });

    it('a limit keeps the newest changes of all folders together, still oldest first', () => {
      expect(run(3).map((c) => [c.path, c.size])).toEqual([
        ['quote.txt', 4],
        ['other.txt', 10],
        ['quote.txt', 0],
      ]);
      expect(run(0)).toEqual([]);
      expect(run(100)).toHaveLength(6);
    });

    it('a guest gets the changes of the folders it may read only, and its history reader is not even asked for the others', () => {
      const asked: string[] = [];
      const tracked = (folderId: string, records: AuditFileRecord[]) => {
        const h = historyOf(folderId, records);
        return { folderId, history: (n: number) => (asked.push(folderId), h.history(n)) };
      };
      const items = buildAudit({ result, viewer: id(keys.g2), names: lookup(new Set([id(keys.g2), ORDERS])), files: [tracked(ORDERS, quote), tracked(SECRET, other)] });
      expect(asked).toEqual([ORDERS]);
      const changes = items.filter((i) => i.type === 'file.change');
      expect(changes).toHaveLength(5);
      // The firm's people by id, their names only if known.
      expect(changes[0]).toMatchObject({ by: id(keys.admin), byName: null });
    });
  });

  it('names are given only when known, never guessed', () => {
    const items = audit(keys.admin, new Set([id(keys.admin)]));
    expect(items.find((i) => i.type === 'member.add')).toMatchObject({ member: id(keys.bob), memberName: null });
    expect(items.find((i) => i.type === 'folder.add')).toMatchObject({ folderId: ORDERS, folderName: null });
  });

  it("a guest's audit holds nothing about other guests or folders it cannot read", () => {
    const known = new Set([id(keys.g1), ORDERS]);
    const items = audit(keys.g1, known);
    const text = JSON.stringify(items);
    expect(text).not.toContain(id(keys.g2));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('Secret');
    expect(text).not.toContain('Otto');
    const entries = items.filter((i) => i.type !== 'file.change');
    expect(entries.map((i) => i.type)).toEqual(['space.create', 'member.add', 'member.add', 'folder.add', 'folder.grant', 'member.remove', 'member.role']);
    // Its own refused attempt is part of its history.
    expect(entries[5]).toMatchObject({ author: id(keys.g1), applied: false });
    // The firm's people appear by id; their names only if this device knows them.
    expect(entries[1]).toMatchObject({ member: id(keys.bob), memberName: null });
    const changes = items.filter((i) => i.type === 'file.change');
    expect(changes.map((c) => [c.path, c.by])).toEqual([
      ['old.txt', id(keys.admin)],
      ['a.pdf', id(keys.g1)],
      ['b.pdf', null],
    ]);
  });

  it('a removed member sees only what concerns itself and the firm, and no folder', () => {
    const log = history();
    const removal = createEntry(keys.admin, { space: log[0]!.id, parents: [log[log.length - 1]!.id], body: { type: 'member.remove', member: id(keys.g1) }, time: 9999 });
    const items = buildAudit({ result: replay(log[0]!.id, [...log, removal]), viewer: id(keys.g1), names: lookup(everything), files });
    const text = JSON.stringify(items);
    expect(text).not.toContain(ORDERS);
    expect(text).not.toContain(id(keys.g2));
    expect(items[items.length - 1]).toMatchObject({ type: 'member.remove', member: id(keys.g1), applied: true });
  });
});

import { describe, expect, it } from 'vitest';
import type { AuditItem } from '../../src/contract/api.js';
import { auditLine, describeAccess, describeTarget, parseAccess, parseAuditLimit, parseFolderAccess, parseGrant, parseGrantAccess, parseGrantTarget, parseRole } from '../../src/cli/access-view.js';
import { accessLine } from '../../src/cli/folder-view.js';
import { UsageError } from '../../src/cli/output.js';

const A = 'a'.repeat(64);
const G = '9'.repeat(64);
const F = 'f'.repeat(64);

describe('parseAccess', () => {
  for (const [text, want] of [['none', 'none'], ['read', 'read'], ['write', 'write'], [' WRITE ', 'write']] as const) {
    it(`"${text}" -> ${want}`, () => expect(parseAccess(text)).toBe(want));
  }
  for (const bad of ['', 'rw', 'admin', 'readonly']) {
    it(`"${bad}" is a usage error that lists the values`, () => expect(() => parseAccess(bad)).toThrow(/none, read or write/));
  }
});

describe('parseGrantAccess (folder grant --access)', () => {
  for (const [text, want] of [['read', 'read'], ['Default', 'default'], ['none', 'none']] as const) {
    it(`"${text}" -> ${want}`, () => expect(parseGrantAccess(text)).toBe(want));
  }
  it('anything else is a usage error that lists the values', () => expect(() => parseGrantAccess('reset')).toThrow(/none, read, write or default/));
  it('--grant of an invite takes no default (a new member has no own grant to take away)', () => expect(() => parseGrant('Orders=default')).toThrow(UsageError));
  it('says what default means', () => expect(describeAccess('default')).toBe('the default of their role'));
});

describe('parseRole', () => {
  for (const [text, want] of [['admin', 'admin'], ['Member', 'member'], ['guest', 'guest']] as const) {
    it(`"${text}" -> ${want}`, () => expect(parseRole(text)).toBe(want));
  }
  for (const bad of ['keeper', 'owner', '']) it(`"${bad}" is a usage error`, () => expect(() => parseRole(bad)).toThrow(UsageError));
});

describe('parseGrant (--grant FOLDER=ACCESS)', () => {
  const cases: [string, { folder: string; access: string }][] = [
    ['Orders=write', { folder: 'Orders', access: 'write' }],
    ['ACME – Invoices=read', { folder: 'ACME – Invoices', access: 'read' }],
    ['Acme/Orders=none', { folder: 'Acme/Orders', access: 'none' }],
    ['a=b=read', { folder: 'a=b', access: 'read' }],
    ['6203013b=write', { folder: '6203013b', access: 'write' }],
  ];
  for (const [text, want] of cases) it(`"${text}"`, () => expect(parseGrant(text)).toEqual(want));
  for (const bad of ['Orders', '=read', 'Orders=', 'Orders=admin', ' =write']) {
    it(`"${bad}" is a usage error`, () => expect(() => parseGrant(bad)).toThrow(UsageError));
  }
});

describe('parseFolderAccess (--access of folder add)', () => {
  const cases: [string, object][] = [
    ['members=write,guests=none', { members: 'write', guests: 'none' }],
    ['guests=read', { guests: 'read' }],
    ['members=read', { members: 'read' }],
    [' member = read , guest=write ', { members: 'read', guests: 'write' }],
    ['MEMBERS=WRITE', { members: 'write' }],
    ['members=none,', { members: 'none' }],
  ];
  for (const [text, want] of cases) it(`"${text}"`, () => expect(parseFolderAccess(text)).toEqual(want));
  for (const bad of ['', ',', 'members', 'admins=write', 'members=all', 'members=read,members=write', 'members:read', 'guests=read;members=write']) {
    it(`"${bad}" is a usage error`, () => {
      expect(() => parseFolderAccess(bad)).toThrow(UsageError);
      if (bad !== 'members=read,members=write') expect(() => parseFolderAccess(bad)).toThrow(/none, read or write/);
    });
  }
});

describe('parseGrantTarget', () => {
  const cases: [string, string][] = [
    ['members', 'members'],
    ['member', 'members'],
    ['Guests', 'guests'],
    ['guest', 'guests'],
    ['Bob', 'Bob'],
    [' 0bbc81 ', '0bbc81'],
  ];
  for (const [text, want] of cases) it(`"${text}" -> ${want}`, () => expect(parseGrantTarget(text)).toBe(want));
  it('empty is a usage error', () => expect(() => parseGrantTarget('  ')).toThrow(UsageError));
  it('describes targets', () => {
    expect(describeTarget('members', null)).toBe('Members');
    expect(describeTarget(G, 'Gina')).toBe(`Gina (${G.slice(0, 12)})`);
  });
});

describe('accessLine (folder status)', () => {
  const base = { name: 'Invoices', spaceName: 'Acme' };
  it('write', () => expect(accessLine({ ...base, access: 'write', localChanges: 0 })).toBe('read and write'));
  it('read, nothing changed', () => expect(accessLine({ ...base, access: 'read', localChanges: 0 })).toBe('read-only: changes made here are not sent (no local changes)'));
  it('read, with local changes: says how to revert', () =>
    expect(accessLine({ ...base, access: 'read', localChanges: 3 })).toBe(
      'read-only: changes made here are not sent (3 local changes not sent; put the shared version back with: agora folder revert "Acme/Invoices")',
    ));
  it('none', () => expect(accessLine({ ...base, access: 'none', localChanges: 0 })).toContain('no longer receives'));
});

describe('parseAuditLimit (--limit of audit)', () => {
  for (const [text, want] of [['0', 0], ['1000', 1000], [' 25 ', 25], ['100000', 100_000]] as const) {
    it(`"${text}"`, () => expect(parseAuditLimit(text)).toBe(want));
  }
  for (const bad of ['', '-1', '1.5', '1e3', 'ten', '100001']) {
    it(`refuses "${bad}"`, () => expect(() => parseAuditLimit(bad)).toThrow(UsageError));
  }
});

describe('auditLine', () => {
  const at = Date.UTC(2026, 10, 22, 9, 0, 0);
  const entry = (e: Partial<AuditItem>): AuditItem => ({ type: 'space.create', entryId: 'e'.repeat(64), at, author: A, authorName: 'Alice', applied: true, ...e }) as AuditItem;
  const cases: [string, AuditItem, string][] = [
    ['create', entry({ spaceName: 'Acme' }), '2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  created the space "Acme"'],
    ['guest added, name unknown', entry({ type: 'member.add', member: G, memberName: null, role: 'guest' }), '2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  added Member 99999999 as guest'],
    ['role', entry({ type: 'member.role', member: G, memberName: 'Gina', role: 'member' }), '2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  made Gina (99999999) member'],
    ['folder add', entry({ type: 'folder.add', folderId: F, folderName: 'Orders', access: { members: 'write', guests: 'none' } }), '2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  shared "Orders" (members write, guests none)'],
    ['grant to a member', entry({ type: 'folder.grant', folderId: F, folderName: null, to: G, member: G, memberName: 'Gina', access: 'read' }), `2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  gave Gina (99999999) read access to folder ${F.slice(0, 12)}`],
    ['grant to guests', entry({ type: 'folder.grant', folderId: F, folderName: 'Orders', to: 'guests', access: 'write' }), '2026-11-22T09:00:00.000Z  Alice (aaaaaaaa)  gave guests write access to "Orders"'],
    ['refused', entry({ type: 'member.remove', author: G, authorName: null, member: A, memberName: 'Alice', applied: false, reason: 'only admins remove members' }), '2026-11-22T09:00:00.000Z  Member 99999999  removed Alice (aaaaaaaa)  [refused: only admins remove members]'],
    ['file change', { type: 'file.change', folderId: F, folderName: 'Orders', path: 'q1/po.pdf', by: G, byName: null, at, deleted: false, size: 3, signed: true, recordedAt: at + 1 }, '2026-11-22T09:00:00.000Z  Member 99999999  changed "Orders"/q1/po.pdf'],
    ['file deleted by someone hidden', { type: 'file.change', folderId: F, folderName: 'Orders', path: 'x', by: null, byName: null, at, deleted: true, size: 3, signed: true, recordedAt: at + 1 }, '2026-11-22T09:00:00.000Z  someone you may not see  deleted "Orders"/x'],
    ['unsigned change', { type: 'file.change', folderId: F, folderName: 'Orders', path: 'y', by: G, byName: null, at, deleted: false, size: 3, signed: false, recordedAt: at + 1 }, '2026-11-22T09:00:00.000Z  Member 99999999  changed "Orders"/y  (NOT SIGNED by its author)'],
  ];
  for (const [name, item, want] of cases) it(name, () => expect(auditLine(item)).toBe(want));
});

import { describe, expect, it } from 'vitest';
import { generateKeyPair, sign, verify } from '../../src/core/crypto.js';
import { createEntry } from '../../src/core/spaces/entries.js';
import { LogPoints, type LogSource } from '../../src/core/spaces/log-points.js';
import { replay, type ReplayResult } from '../../src/core/spaces/replay.js';
import { mayWrite } from '../../src/core/sync/access.js';
import { commitName, recordSigningBytes, type DecodedEntry, type FileRecord, type LogBody } from '../../src/protocol/index.js';
import type { KeyPair } from '../../src/ports/network.js';

const keys = { admin: generateKeyPair(), reader: generateKeyPair() };
const idOf = (k: KeyPair) => k.publicKey.toString('hex');
const FOLDER = 'f0'.repeat(32);

/** A log that grows: the admin adds a folder that members may only read, a member, then grants it write. */
function log() {
  const g = createEntry(keys.admin, { space: null, parents: [], body: { type: 'space.create', name: 'Acme', creatorName: commitName('Alice').ref }, time: 1 });
  const next = (parents: DecodedEntry[], body: LogBody) => createEntry(keys.admin, { space: g.id, parents: parents.map((p) => p.id), body, time: 2 });
  const folder = next([g], { type: 'folder.add', folder: FOLDER, name: commitName('Orders').ref, access: { members: 'read', guests: 'none' } });
  const member = next([folder], { type: 'member.add', member: idOf(keys.reader), name: commitName('Rita').ref, role: 'member', invite: null });
  const grant = next([member], { type: 'folder.grant', folder: FOLDER, to: idOf(keys.reader), access: 'write' });
  // Concurrent with the grant: follows only the member's addition.
  const rename = next([member], { type: 'space.rename', name: 'Acme Ltd' });
  return { g, folder, member, grant, rename };
}

/** A log source over a set of entries, with the replay redone whenever `hold` adds some, as SpaceService does. */
function source(initial: DecodedEntry[]) {
  const entries = new Map(initial.map((e) => [e.id, e]));
  const spaceId = initial[0]!.id;
  let result: ReplayResult = replay(spaceId, [...entries.values()]);
  const src: LogSource = {
    current: () => result,
    heads: () => result.heads,
    entry: (id) => entries.get(id),
    parentsOf: (id) => entries.get(id)?.content.parents,
    partial: () => false,
  };
  return {
    src,
    spaceId,
    hold(...more: DecodedEntry[]) {
      for (const e of more) entries.set(e.id, e);
      result = replay(spaceId, [...entries.values()]);
    },
  };
}

describe('log points: the space as it stood where a record was made', () => {
  it('judges the author at the point, not now: a grant after the point does not count', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member, l.grant]);
    const points = new LogPoints(s.spaceId, s.src);
    const reader = idOf(keys.reader);
    expect(mayWrite(points.stateAt([l.member.id])!.state, FOLDER, reader)).toBe(false);
    expect(mayWrite(points.stateAt([l.grant.id])!.state, FOLDER, reader)).toBe(true);
    // Now (the whole log) it may write; a point before the grant still says it could not.
    expect(points.now()).toEqual([l.grant.id]);
    expect(mayWrite(points.stateAt(points.now())!.state, FOLDER, reader)).toBe(true);
  });

  it('a point with several heads replays their joint ancestry', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member, l.grant, l.rename]);
    const points = new LogPoints(s.spaceId, s.src);
    const both = [l.grant.id, l.rename.id].sort();
    expect(points.now()).toEqual(both);
    const { state } = points.stateAt(both)!;
    expect(state.name).toBe('Acme Ltd');
    expect(mayWrite(state, FOLDER, idOf(keys.reader))).toBe(true);
    // The rename's own point does not include the grant.
    expect(mayWrite(points.stateAt([l.rename.id])!.state, FOLDER, idOf(keys.reader))).toBe(false);
  });

  it('an entry not held yet (or an unknown id) gives no state; once the log has it, it does', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member]);
    const points = new LogPoints(s.spaceId, s.src);
    expect(points.stateAt([l.grant.id])).toBeUndefined();
    expect(points.stateAt(['ab'.repeat(32)])).toBeUndefined();
    expect(points.stateAt([])).toBeUndefined();
    s.hold(l.grant);
    expect(mayWrite(points.stateAt([l.grant.id])!.state, FOLDER, idOf(keys.reader))).toBe(true);
  });

  it('replays once per distinct point, not per record; the current point costs no replay', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member, l.grant]);
    const points = new LogPoints(s.spaceId, s.src);
    const reader = idOf(keys.reader);
    const admin = idOf(keys.admin);
    // 10,000 records made at the current point and 10,000 at an earlier one, interleaved, by two authors.
    for (let i = 0; i < 20_000; i++) {
      const at = i % 2 === 0 ? [l.grant.id] : [l.member.id];
      expect(points.mayWriteAt(at, FOLDER, i % 4 < 2 ? reader : admin)).toBe(i % 4 >= 2 || i % 2 === 0);
    }
    expect(points.replays).toBe(1);
    expect(points.stateAt([l.grant.id])!.state).toBe(s.src.current().state);
    // Equal points as separate arrays (as decoded from the store or the wire) share the entry.
    expect(points.stateAt([String(l.member.id)])).toBe(points.stateAt([l.member.id]));
    expect(points.replays).toBe(1);
  });

  it('keeps a bounded number of states, and starts afresh when the log changes', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member, l.grant]);
    const points = new LogPoints(s.spaceId, s.src, { states: 2, decisions: 2 });
    for (const e of [l.g, l.folder, l.member]) points.stateAt([e.id]);
    expect(points.replays).toBe(3);
    points.stateAt([l.g.id]); // evicted (oldest first): replayed again
    expect(points.replays).toBe(4);
    points.stateAt([l.member.id]); // still there
    expect(points.replays).toBe(4);
    s.hold(l.rename);
    points.stateAt([l.member.id]);
    expect(points.replays).toBe(5);
    expect(points.now()).toEqual([l.grant.id, l.rename.id].sort());
  });

  it('keeps decisions across log changes (a point replays the same forever), a bounded number of points', () => {
    const l = log();
    const s = source([l.g, l.folder, l.member]);
    const points = new LogPoints(s.spaceId, s.src, { states: 64, decisions: 2 });
    const reader = idOf(keys.reader);
    expect(points.mayWriteAt([l.member.id], FOLDER, reader)).toBe(false);
    expect(points.mayWriteAt([l.folder.id], FOLDER, reader)).toBe(false);
    // Not in the log yet: no decision, and none kept.
    expect(points.mayWriteAt([l.grant.id], FOLDER, reader)).toBeUndefined();
    expect(points.replays).toBe(1);
    s.hold(l.grant, l.rename);
    expect(points.mayWriteAt([l.member.id], FOLDER, reader)).toBe(false);
    expect(points.mayWriteAt([l.folder.id], FOLDER, reader)).toBe(false);
    expect(points.replays).toBe(1);
    expect(points.mayWriteAt([l.grant.id], FOLDER, reader)).toBe(true);
    expect(points.replays).toBe(2);
    // Two points kept: the oldest went, and is replayed again.
    expect(points.mayWriteAt([l.member.id], FOLDER, reader)).toBe(false);
    expect(points.replays).toBe(3);
    expect(points.mayWriteAt([], FOLDER, reader)).toBeUndefined();
  });
});

describe('log points on a guest, which holds stubs for what it may not see', () => {
  it('says when the point\'s ancestry has stubs: a member unknown there may be one the guest is not shown', () => {
    const l = log();
    // The member's addition is a stub here (id and parents only).
    const entries = new Map([l.g, l.folder, l.grant, l.rename].map((e) => [e.id, e]));
    const stubs = new Map([[l.member.id, { id: l.member.id, parents: [...l.member.content.parents] }]]);
    const result = replay(l.g.id, [...entries.values()], [...stubs.values()]);
    const points = new LogPoints(l.g.id, {
      current: () => result,
      heads: () => result.heads,
      entry: (id) => entries.get(id),
      parentsOf: (id) => entries.get(id)?.content.parents ?? stubs.get(id)?.parents,
      partial: () => true,
    });
    const atGrant = points.stateAt([l.grant.id])!;
    expect(atGrant.partial).toBe(true);
    expect(atGrant.state.members.has(idOf(keys.reader))).toBe(false);
    expect(points.stateAt(points.now())!.partial).toBe(true);
    // So the grant's target, unknown here, may write as far as this guest can tell: the holder decides.
    expect(points.mayWriteAt([l.grant.id], FOLDER, idOf(keys.reader))).toBe(true);
    // Before the stub, the ancestry is whole: a stranger is a stranger.
    expect(points.stateAt([l.folder.id])!.partial).toBe(false);
    expect(points.mayWriteAt([l.folder.id], FOLDER, idOf(keys.reader))).toBe(false);
    // A member the guest does know is judged as anywhere.
    expect(points.mayWriteAt([l.grant.id], FOLDER, idOf(keys.admin))).toBe(true);
  });
});

describe('record signatures cover the log point', () => {
  const author = keys.reader;
  const record: FileRecord = {
    path: 'a.txt', type: 'file', size: 1, mtimeMs: 1000, mode: 0o644, deleted: false,
    version: [{ device: idOf(author), value: 1 }], modifiedBy: idOf(author), sequence: 1,
    blocks: [{ hash: Buffer.alloc(32, 1), size: 1 }], sig: Buffer.alloc(0), at: ['1'.repeat(64)],
  };
  const signed = { ...record, sig: sign(recordSigningBytes(FOLDER, record), author.secretKey) };

  it('a record moved to another point no longer verifies', () => {
    expect(verify(recordSigningBytes(FOLDER, signed), signed.sig, idOf(author))).toBe(true);
    for (const at of [['2'.repeat(64)], ['1'.repeat(64), '2'.repeat(64)], []]) {
      expect(verify(recordSigningBytes(FOLDER, { ...signed, at }), signed.sig, idOf(author)), at.join()).toBe(false);
    }
  });

  it('the signing bytes name the point and the record format', () => {
    const bytes = recordSigningBytes(FOLDER, { ...record, at: ['1'.repeat(64), '2'.repeat(64)] }).toString('latin1');
    expect(bytes.startsWith('agora/record/2\n')).toBe(true);
    expect(bytes).toContain(`"${'1'.repeat(64)},${'2'.repeat(64)}"]\n`);
    // The sequence is not signed: each device numbers its own index.
    expect(recordSigningBytes(FOLDER, { ...record, sequence: 9 })).toEqual(recordSigningBytes(FOLDER, record));
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import type { AuditFileItem, AuditItem } from '../../src/core/spaces/audit.js';
import type { AgoraNode } from '../../src/node/agora-node.js';
import { Simulation, syncChannel } from './harness.js';

const DAY = 24 * 3600_000;

/**
 * The audit's file changes come from each node's file history: every version of a path that
 * node took in, with its author, not only the last one; a reader's changes are none of them.
 */
describe('simulation: file history in the audit', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  const changes = (items: AuditItem[], path: string): AuditFileItem[] => items.filter((i): i is AuditFileItem => i.type === 'file.change' && i.path === path);

  it('every node shows each change of a file, with its author, in order; a reader\'s change is not one', async () => {
    sim = new Simulation();
    const a = await sim.node('Alice');
    const b = await sim.node('Bob');
    const g = await sim.node('Gina');
    a.createSpace('Acme');
    await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
    await g.join(a.invite('Acme', { role: 'guest', expiresInMs: DAY, uses: 1 }).code);
    const folder = await a.sync.addFolder('Acme', '/sim/a-docs', 'Docs');
    a.spaces.append(folder.spaceId, { type: 'folder.grant', folder: folder.folderId, to: g.deviceId, access: 'read' });
    const roots = new Map<AgoraNode, string>([
      [a, '/sim/a-docs'],
      [b, '/sim/Bob/Acme/Docs'],
      [g, '/sim/Gina/Acme/Docs'],
    ]);
    const nodes = [a, b, g];
    const text = (n: AgoraNode) => sim.disk(n).snapshot(roots.get(n)!)['quote.txt']?.bytes?.toString();
    const running = (n: AgoraNode) => n.sync.list().some((f) => f.folderId === folder.folderId);
    await sim.until(() => nodes.every(running), 'the folder runs on every node');

    /** One edit, then wait until every node has it on disk and in its audit. */
    const edit = async (n: AgoraNode, content: string, count: number) => {
      sim.disk(n).userWrite(roots.get(n)!, 'quote.txt', content);
      await sim.until(() => nodes.every((m) => text(m) === content && changes(m.audit('Acme'), 'quote.txt').length === count), `change ${count} everywhere`);
    };
    await edit(a, 'v1', 1);
    await edit(a, 'v-22', 2);
    await edit(a, 'v-333', 3);
    await edit(b, 'bob 4444', 4);

    // The reader edits too: its change stays on its disk and is nobody's history, its own included.
    sim.disk(g).userWrite(roots.get(g)!, 'quote.txt', 'forged by the guest');
    await sim.until(() => g.sync.status(folder.folderId).localChanges === 1, 'G has a local change');
    // Pushed to a writer anyway (as a modified client would): the writer keeps the record in G's
    // index (it says what G has) but takes it into no history.
    const forged = sim.storeOf(g).index.getLocal(folder.folderId, 'quote.txt')!;
    expect(forged.modifiedBy).toBe(g.deviceId);
    const gIndexId = sim.storeOf(g).folders.get(folder.folderId)!.indexId;
    syncChannel(g, a, folder.spaceId).sendIndex({ folderId: folder.folderId, indexId: gIndexId, records: [forged], upToDate: true });
    await sim.until(() => sim.storeOf(a).index.getRemote(folder.folderId, g.deviceId, 'quote.txt')?.modifiedBy === g.deviceId, "A holds G's pushed record");
    sim.clock.advance(20_000);
    await sim.until(() => [a, b].every((n) => n.sync.status(folder.folderId).state === 'idle'), 'A and B idle');

    for (const n of nodes) {
      const seen = changes(n.audit('Acme'), 'quote.txt');
      expect(seen.map((c) => [c.by, c.size, c.deleted, c.signed, c.folderId])).toEqual([
        [a.deviceId, 2, false, true, folder.folderId],
        [a.deviceId, 4, false, true, folder.folderId],
        [a.deviceId, 5, false, true, folder.folderId],
        [b.deviceId, 8, false, true, folder.folderId],
      ]);
      // Recorded in that order, each when this node saw it.
      const recorded = seen.map((c) => c.recordedAt);
      expect([...recorded].sort((x, y) => x - y)).toEqual(recorded);
      expect(seen.some((c) => c.by === g.deviceId)).toBe(false);
    }
    expect(text(a)).toBe('bob 4444');

    // Narrowed: the newest two, or one folder (by name), as the API and the CLI ask.
    expect(changes(a.audit('Acme', { limit: 2 }), 'quote.txt').map((c) => [c.by, c.size])).toEqual([
      [a.deviceId, 5],
      [b.deviceId, 8],
    ]);
    expect(changes(b.audit('Acme', { folder: 'Docs', limit: 1 }), 'quote.txt').map((c) => c.by)).toEqual([b.deviceId]);
    const onlyLog = a.audit('Acme', { limit: 0 });
    expect(onlyLog.some((i) => i.type === 'file.change')).toBe(false);
    expect(onlyLog.some((i) => i.type === 'folder.grant')).toBe(true);
  });
});

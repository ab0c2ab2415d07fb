import { afterEach, describe, expect, it } from 'vitest';
import type { AgoraNode } from '../../src/node/agora-node.js';
import { Simulation } from './harness.js';

const DAY = 24 * 3600_000;

/** A space "Acme" with a shared folder "Docs" on every node; returns each node's folder root. */
async function sharedFolder(sim: Simulation, nodes: AgoraNode[]): Promise<string[]> {
  const [a, ...others] = nodes;
  a!.createSpace('Acme');
  for (const n of others) await n.join(a!.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
  const folder = await a!.sync.addFolder('Acme', '/sim/a-docs', 'Docs');
  await sim.until(() => nodes.every((n) => n.sync.list().some((f) => f.folderId === folder.folderId) && n.sync.sync(folder.folderId) !== undefined), 'folder on every node');
  return nodes.map((n) => n.sync.resolve(folder.folderId).path);
}

function inSync(sim: Simulation, nodes: AgoraNode[], roots: string[]): boolean {
  const snaps = nodes.map((n, i) => JSON.stringify(sim.disk(n).snapshot(roots[i]!)));
  return snaps.every((s) => s === snaps[0]) && nodes.every((n) => n.sync.list().every((f) => n.sync.status(f.folderId).needFiles === 0));
}

describe('simulation: folder sync over the memory network and memory disks', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a file written on one node appears on the others, then edits, renames and deletes follow', async () => {
    sim = new Simulation();
    const nodes = [await sim.node('Alice'), await sim.node('Bob'), await sim.node('Carol')];
    const roots = await sharedFolder(sim, nodes);
    const [a, b, c] = nodes as [AgoraNode, AgoraNode, AgoraNode];
    expect(roots[1]).toBe('/sim/Bob/Acme/Docs');

    sim.disk(a).userWrite(roots[0]!, 'hello.txt', 'hello world');
    sim.disk(a).userMkdir(roots[0]!, 'empty-dir');
    sim.disk(a).userWrite(roots[0]!, 'sub/run.sh', '#!/bin/sh\n', { mode: 0o755 });
    await sim.until(() => inSync(sim, nodes, roots) && sim.disk(c).snapshot(roots[2]!)['hello.txt'] !== undefined, 'first files everywhere');
    const snap = sim.disk(b).snapshot(roots[1]!);
    expect(snap['hello.txt']?.bytes?.toString()).toBe('hello world');
    expect(snap['empty-dir']?.type).toBe('dir');
    expect((snap['sub/run.sh']?.mode ?? 0) & 0o100).toBe(0o100);

    sim.disk(b).userWrite(roots[1]!, 'hello.txt', 'hello from Bob');
    await sim.until(() => sim.disk(c).snapshot(roots[2]!)['hello.txt']?.bytes?.toString() === 'hello from Bob' && inSync(sim, nodes, roots), 'edit everywhere');

    sim.disk(c).userRename(roots[2]!, 'hello.txt', 'sub/renamed.txt');
    await sim.until(() => sim.disk(a).snapshot(roots[0]!)['sub/renamed.txt'] !== undefined && inSync(sim, nodes, roots), 'rename everywhere');
    expect(sim.disk(a).snapshot(roots[0]!)['hello.txt']).toBeUndefined();

    sim.disk(a).userDelete(roots[0]!, 'sub');
    await sim.until(() => sim.disk(b).snapshot(roots[1]!)['sub'] === undefined && inSync(sim, nodes, roots), 'delete everywhere');
    expect(Object.keys(sim.disk(c).snapshot(roots[2]!))).toEqual(['empty-dir']);
  });

  for (const run of [0, 1, 2, 3, 4, 5]) {
    it(`a directory tree renamed while others edit is gone everywhere, never brought back (run ${run})`, async () => {
      sim = new Simulation();
      const nodes = [await sim.node('Alice'), await sim.node('Bob'), await sim.node('Carol')];
      const roots = await sharedFolder(sim, nodes);
      const [a, b, c] = nodes as [AgoraNode, AgoraNode, AgoraNode];
      sim.disk(a).userWrite(roots[0]!, 'readme.txt', 'hello');
      sim.disk(a).userWrite(roots[0]!, 'reports/2026/q1.csv', 'q1');
      sim.disk(a).userWrite(roots[0]!, 'reports/2026/q2.csv', 'q2');
      sim.disk(a).userWrite(roots[0]!, 'reports/old.txt', 'old');
      sim.disk(a).userWrite(roots[0]!, 'empty-file', '');
      await sim.until(() => inSync(sim, nodes, roots) && sim.disk(c).snapshot(roots[2]!)['reports/2026/q2.csv'] !== undefined, 'tree everywhere');

      sim.disk(b).userWrite(roots[1]!, 'readme.txt', 'edited by Bob');
      sim.disk(c).userWrite(roots[2]!, 'from-carol.txt', 'Carol');
      sim.disk(a).userDelete(roots[0]!, 'empty-file');
      sim.disk(b).userRename(roots[1]!, 'reports', 'archive');
      await sim.until(
        () => inSync(sim, nodes, roots) && sim.disk(a).snapshot(roots[0]!)['archive/2026/q2.csv'] !== undefined && sim.disk(b).snapshot(roots[1]!)['from-carol.txt'] !== undefined,
        'all edits everywhere',
        20_000,
      );
      expect(Object.keys(sim.disk(a).snapshot(roots[0]!))).toEqual(['archive', 'archive/2026', 'archive/2026/q1.csv', 'archive/2026/q2.csv', 'archive/old.txt', 'from-carol.txt', 'readme.txt']);
    });
  }

  it('concurrent edits while partitioned leave both versions on every node', async () => {
    sim = new Simulation();
    const nodes = [await sim.node('Alice'), await sim.node('Bob')];
    const roots = await sharedFolder(sim, nodes);
    const [a, b] = nodes as [AgoraNode, AgoraNode];
    sim.disk(a).userWrite(roots[0]!, 'plan.txt', 'v1');
    await sim.until(() => inSync(sim, nodes, roots) && sim.disk(b).snapshot(roots[1]!)['plan.txt'] !== undefined, 'v1 everywhere');

    sim.hub.partition([a.deviceId], [b.deviceId]);
    sim.clock.advance(1000);
    sim.disk(a).userWrite(roots[0]!, 'plan.txt', 'Alice version');
    sim.clock.advance(1000);
    sim.disk(b).userWrite(roots[1]!, 'plan.txt', 'Bob version, later');
    await sim.until(() => a.sync.status('Acme/Docs').state === 'idle' && b.sync.status('Acme/Docs').state === 'idle', 'both scanned');
    sim.hub.heal();
    await sim.until(() => inSync(sim, nodes, roots) && Object.keys(sim.disk(a).snapshot(roots[0]!)).length === 2, 'conflict resolved everywhere', 20_000);
    const snap = sim.disk(a).snapshot(roots[0]!);
    expect(snap['plan.txt']?.bytes?.toString()).toBe('Bob version, later');
    const copy = Object.keys(snap).find((p) => p.includes('.sync-conflict-'));
    expect(copy).toMatch(/^plan\.sync-conflict-\d{8}-\d{6}-[0-9A-F]{7}\.txt$/);
    expect(snap[copy!]?.bytes?.toString()).toBe('Alice version');
    expect(a.sync.conflicts('Acme')).toHaveLength(1);
  });
});

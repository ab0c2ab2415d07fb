import { afterEach, describe, expect, it } from 'vitest';
import type { AgoraNode } from '../../src/node/agora-node.js';
import { ECHO_SIG_BYTES, type IndexUpdate } from '../../src/protocol/index.js';
import { aliceAndBobShareDocs, Simulation, syncChannel } from './harness.js';

/** Every index message `node` receives, before its checks. */
function tapIndex(node: AgoraNode): IndexUpdate[] {
  const seen: IndexUpdate[] = [];
  const ps = node.sync.peerSync;
  const onIndex = ps.onIndex.bind(ps);
  ps.onIndex = (ch, update) => {
    seen.push(update);
    onIndex(ch, update);
  };
  return seen;
}

/**
 * A peer that pulled our versions names them in its index (path, sequence, signature prefix)
 * instead of sending them back whole; the receiver takes its own record for each.
 */
describe('simulation: record echoes', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it("a peer names the versions it pulled from us, and we hold them as its records", async () => {
    sim = new Simulation();
    const { a, b, folder } = await aliceAndBobShareDocs(sim);
    const toA = tapIndex(a);
    sim.disk(a).userWrite('/sim/a-docs', 'x.txt', 'made by Alice');
    sim.disk(a).userWrite('/sim/a-docs', 'sub/y.txt', 'also by Alice');
    const remote = (path: string) => sim.storeOf(a).index.getRemote(folder.folderId, b.deviceId, path);
    const paths = ['x.txt', 'sub', 'sub/y.txt'];
    await sim.until(() => paths.every((p) => remote(p) !== undefined), "A holds B's records of all three");

    const received = toA.flatMap((u) => u.records.map((r) => r.path));
    const echoed = toA.flatMap((u) => (u.echoes ?? []).map((e) => e.path));
    expect(received.filter((p) => paths.includes(p))).toEqual([]);
    expect(echoed.sort()).toEqual([...paths].sort());
    for (const p of paths) {
      const { local: _local, ...mine } = sim.storeOf(a).index.getLocal(folder.folderId, p)!;
      const theirs = sim.storeOf(b).index.getLocal(folder.folderId, p)!;
      expect(remote(p)).toEqual({ ...mine, sequence: theirs.sequence });
    }
    expect(a.sync.status(folder.folderId).peers).toEqual([{ deviceId: b.deviceId, connected: true, inSync: true }]);

    // Bob's own change goes whole, and Alice pulls it.
    const before = toA.length;
    sim.disk(b).userWrite(sim.storeOf(b).folders.get(folder.folderId)!.path, 'x.txt', 'Bob was here');
    await sim.until(() => sim.disk(a).snapshot('/sim/a-docs')['x.txt']?.bytes?.toString() === 'Bob was here', "A has B's edit");
    expect(toA.slice(before).flatMap((u) => u.records.filter((r) => r.path === 'x.txt').map((r) => r.modifiedBy))).toEqual([b.deviceId]);
  });

  it('drops an echo of a version it does not hold, and takes one it does', async () => {
    sim = new Simulation();
    const { a, b, folder } = await aliceAndBobShareDocs(sim);
    sim.disk(a).userWrite('/sim/a-docs', 'x.txt', 'one');
    sim.disk(a).userWrite('/sim/a-docs', 'y.txt', 'two');
    const remote = (path: string) => sim.storeOf(a).index.getRemote(folder.folderId, b.deviceId, path);
    await sim.until(() => remote('x.txt') !== undefined && remote('y.txt') !== undefined, "A holds B's records of both");
    const x = remote('x.txt')!;
    const mineY = sim.storeOf(a).index.getLocal(folder.folderId, 'y.txt')!;
    const next = sim.storeOf(a).index.remoteState(folder.folderId, b.deviceId)!.maxSequence + 1;
    const indexId = sim.storeOf(b).folders.get(folder.folderId)!.indexId;
    const wrong = Buffer.from(mineY.sig.subarray(0, ECHO_SIG_BYTES));
    wrong[0] = wrong[0]! ^ 1;
    syncChannel(b, a, folder.spaceId).sendIndex({
      folderId: folder.folderId,
      indexId,
      records: [],
      echoes: [
        { path: 'x.txt', sequence: next, sig: wrong },
        { path: 'nowhere.txt', sequence: next + 1, sig: mineY.sig.subarray(0, ECHO_SIG_BYTES) },
        { path: 'y.txt', sequence: next + 2, sig: mineY.sig.subarray(0, ECHO_SIG_BYTES) },
      ],
      upToDate: true,
    });
    await sim.until(() => remote('y.txt')?.sequence === next + 2, 'A took the echo of y.txt');
    expect(remote('x.txt')).toEqual(x);
    expect(remote('nowhere.txt')).toBeUndefined();
  });

  it("sends whole records to a peer whose index it no longer holds (the peer's index was reset)", async () => {
    sim = new Simulation();
    const { a, b, folder } = await aliceAndBobShareDocs(sim);
    sim.disk(a).userWrite('/sim/a-docs', 'x.txt', 'one');
    const store = sim.storeOf(a);
    const remote = (path: string) => store.index.getRemote(folder.folderId, b.deviceId, path);
    await sim.until(() => remote('x.txt') !== undefined, "A holds B's record");
    // Bob forgets Alice's index (as when its index id changes), Alice forgets Bob's, so Bob
    // sends his whole index again, before Alice has announced anything to him.
    sim.storeOf(b).index.dropRemote(folder.folderId, a.deviceId);
    sim.storeOf(a).index.dropRemote(folder.folderId, b.deviceId);
    const a2 = await sim.restart(a);
    const toA = tapIndex(a2);
    await sim.restart(b);
    await sim.until(() => remote('x.txt') !== undefined, "A holds B's record again");
    expect(toA.flatMap((u) => u.records.map((r) => r.path))).toContain('x.txt');
    expect(toA.flatMap((u) => (u.echoes ?? []).map((e) => e.path))).not.toContain('x.txt');
  });
});

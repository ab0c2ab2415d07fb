import { afterEach, describe, expect, it } from 'vitest';
import type { FileRecord } from '../../src/protocol/index.js';
import { aliceAndBobShareDocs, Simulation, syncChannel } from './harness.js';

/**
 * A record a peer relays (made by someone else) must carry its author's signature. The very
 * version this node already holds is taken without a signature check; a copy of it with any
 * signed field changed is not.
 */
describe('simulation: records relayed by a peer', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it("takes back its own versions as they are, and refuses them changed under the same signature", async () => {
    sim = new Simulation();
    const { a, b, folder } = await aliceAndBobShareDocs(sim);
    sim.disk(a).userWrite('/sim/a-docs', 'x.txt', 'made by Alice');
    sim.disk(a).userWrite('/sim/a-docs', 'y.txt', 'also by Alice');
    const onB = (path: string) => sim.storeOf(b).index.getLocal(folder.folderId, path);
    await sim.until(() => onB('x.txt') !== undefined && onB('y.txt') !== undefined, 'B has both files');
    const remote = (path: string) => sim.storeOf(a).index.getRemote(folder.folderId, b.deviceId, path);
    await sim.until(() => remote('x.txt') !== undefined && remote('y.txt') !== undefined, "A holds B's records of both");

    const own = (path: string) => {
      const { local: _local, ...asSent } = sim.storeOf(a).index.getLocal(folder.folderId, path)!;
      return asSent;
    };
    const next = sim.storeOf(a).index.remoteState(folder.folderId, b.deviceId)!.maxSequence + 1;
    const indexId = sim.storeOf(b).folders.get(folder.folderId)!.indexId;
    const x = own('x.txt');
    // Alice's signature of x.txt on other content: another mtime, and another name.
    const grown: FileRecord = { ...x, mtimeMs: x.mtimeMs + 1, sequence: next };
    const renamed: FileRecord = { ...x, path: 'z.txt', sequence: next + 1 };
    // Her own y.txt as it is: taken back.
    const same: FileRecord = { ...own('y.txt'), sequence: next + 2 };
    syncChannel(b, a, folder.spaceId).sendIndex({ folderId: folder.folderId, indexId, records: [grown, renamed, same], upToDate: true });
    await sim.until(() => sim.storeOf(a).index.remoteState(folder.folderId, b.deviceId)!.maxSequence === next + 2, 'A took the record it made');
    expect(remote('x.txt')!.mtimeMs).toBe(x.mtimeMs);
    expect(remote('z.txt')).toBeUndefined();
  });
});

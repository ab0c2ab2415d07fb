/** A receiver's .agoraignore decides what it pulls, and a change of it takes effect at once. */
import { afterEach, describe, expect, it } from 'vitest';
import { aliceAndBobShareDocs, Simulation } from './harness.js';

describe('simulation: ignore rules of the receiver', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('an ignored path is not pulled until the rule goes away; unchanged rules leave the view alone', async () => {
    sim = new Simulation();
    const { a, b, folder } = await aliceAndBobShareDocs(sim);
    await sim.until(() => b.sync.sync(folder.folderId) !== undefined, 'folder on Bob');
    const bRoot = b.sync.resolve(folder.folderId).path;
    const bSync = () => b.sync.sync(folder.folderId)!;

    // Apart: Bob ignores *.log, Alice (without the rule yet) indexes debug.log.
    sim.hub.partition([a.deviceId], [b.deviceId]);
    sim.disk(b).userWrite(bRoot, '.agoraignore', '*.log\n');
    sim.disk(a).userWrite('/sim/a-docs', 'debug.log', 'ignored on Bob');
    sim.disk(a).userWrite('/sim/a-docs', 'notes.txt', 'kept');
    await sim.until(() => bSync().localRecord('.agoraignore') !== undefined && a.sync.sync(folder.folderId)!.localRecord('debug.log') !== undefined, 'both scanned');
    sim.hub.heal();
    await sim.until(() => sim.disk(b).snapshot(bRoot)['notes.txt'] !== undefined && bSync().state === 'idle', 'notes.txt on Bob');
    expect(sim.disk(b).snapshot(bRoot)['debug.log']).toBeUndefined();
    expect(b.sync.status(folder.folderId).needFiles).toBe(0);

    // Another local change (same rules) does not bring it.
    sim.disk(b).userWrite(bRoot, 'other.txt', 'x');
    await sim.until(() => bSync().localRecord('other.txt') !== undefined && bSync().state === 'idle', 'other.txt scanned');
    expect(sim.disk(b).snapshot(bRoot)['debug.log']).toBeUndefined();

    // The rule goes away: the record Bob already holds is needed now.
    sim.disk(b).userWrite(bRoot, '.agoraignore', '# nothing ignored now\n');
    await sim.until(() => sim.disk(b).snapshot(bRoot)['debug.log']?.bytes?.toString() === 'ignored on Bob', 'debug.log pulled once no longer ignored');
  });
});

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../helpers/wait.js';
import { AgoraHome } from './agora-process.js';

// The public HyperDHT bootstrap is unreachable from this machine and from CI: exactly the
// situation of a PC on a network that blocks UDP. The node must start, say "offline" once,
// and keep working over direct addresses.
describe('end to end: the public DHT bootstrap is unreachable', () => {
  const a = new AgoraHome('dht-a');
  const b = new AgoraHome('dht-b');
  afterAll(async () => Promise.all([a.dispose(), b.dispose()]));

  it('starts promptly, reports dht offline once, and still connects members directly', async () => {
    const started = Date.now();
    // No --no-dht and no --bootstrap: the default, public bootstrap nodes.
    await a.json('start', '--detach', '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0');
    await b.json('start', '--detach', '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0');
    expect(Date.now() - started).toBeLessThan(20_000);
    await waitFor(async () => (await a.json<{ dht: string }>('status')).dht === 'offline', 'dht offline', 15_000);

    await a.json('space', 'create', 'Acme');
    const { code } = await a.json<{ code: string }>('invite', '--space', 'Acme');
    await b.json('join', code);
    await waitFor(async () => {
      const members = await b.json<{ online: boolean }[]>('members', '--space', 'Acme');
      return members.length === 2 && members.every((m) => m.online);
    }, 'members online without a DHT', 10_000);

    const log = readFileSync(join(a.home, 'node.log'), 'utf8').split('\n').filter(Boolean);
    const offlineReports = log.filter((l) => l.includes('DHT unreachable'));
    expect(offlineReports).toHaveLength(1);
    const errors = log.filter((l) => JSON.parse(l).level >= 50);
    expect(errors).toEqual([]);
    expect(log.length).toBeLessThan(100);
  });
});

import { describe, expect, it, vi } from 'vitest';
import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { raceDials, type DialAttempt } from '../../src/adapters/network-swarm/dial-race.js';

/** An attempt the test settles by hand; records whether it started and whether it was cancelled. */
function manual(label: string, kind: 'tcp' | 'dht') {
  let resolveRun: (stream: NoiseSecretStream) => void = () => {};
  let rejectRun: (err: Error) => void = () => {};
  const state = { started: false, cancelled: false };
  const stream = { destroy: vi.fn() } as unknown as NoiseSecretStream;
  const attempt: DialAttempt = {
    label,
    kind,
    run: (signal) => {
      state.started = true;
      signal.addEventListener('abort', () => {
        state.cancelled = true;
        rejectRun(new Error('cancelled'));
      });
      return new Promise((resolve, reject) => {
        resolveRun = (s) => resolve({ stream: s, transport: kind === 'tcp' ? 'tcp' : 'udx', address: label });
        rejectRun = reject;
      });
    },
  };
  return { attempt, state, stream, win: () => resolveRun(stream), fail: (msg: string) => rejectRun(new Error(msg)) };
}

describe('raceDials: direct addresses at once, the DHT after a head start, first to connect wins', () => {
  it('a TCP address that connects wins; the others are cancelled and the DHT never starts', async () => {
    const a = manual('10.0.0.1:7000', 'tcp');
    const b = manual('192.168.1.2:7000', 'tcp');
    const d = manual('DHT', 'dht');
    const race = raceDials([a.attempt, b.attempt, d.attempt], 60_000, undefined, []);
    expect(a.state.started && b.state.started).toBe(true);
    expect(d.state.started).toBe(false);
    b.win();
    const won = await race;
    expect(won?.address).toBe('192.168.1.2:7000');
    expect(a.state.cancelled).toBe(true);
    expect(d.state.started).toBe(false);
  });

  it('the DHT starts as soon as every TCP address failed, without waiting for its head start', async () => {
    const a = manual('10.0.0.1:7000', 'tcp');
    const d = manual('DHT', 'dht');
    const failures: string[] = [];
    const race = raceDials([a.attempt, d.attempt], 60_000, undefined, failures);
    a.fail('ENETUNREACH');
    await vi.waitFor(() => expect(d.state.started).toBe(true), { timeout: 2_000 });
    d.win();
    expect((await race)?.transport).toBe('udx');
    expect(failures).toEqual(['10.0.0.1:7000: ENETUNREACH']);
  });

  it('the DHT starts after its head start while a TCP address still hangs, and the hanging attempt is cancelled when it wins', async () => {
    const a = manual('10.0.0.1:7000', 'tcp');
    const d = manual('DHT', 'dht');
    const race = raceDials([a.attempt, d.attempt], 20, undefined, []);
    await vi.waitFor(() => expect(d.state.started).toBe(true), { timeout: 2_000 });
    d.win();
    expect((await race)?.transport).toBe('udx');
    expect(a.state.cancelled).toBe(true);
  });

  it('null with every reason when all fail', async () => {
    const a = manual('10.0.0.1:7000', 'tcp');
    const d = manual('DHT', 'dht');
    const failures: string[] = [];
    const race = raceDials([a.attempt, d.attempt], 60_000, undefined, failures);
    a.fail('refused');
    await vi.waitFor(() => expect(d.state.started).toBe(true), { timeout: 2_000 });
    d.fail('PEER_NOT_FOUND');
    expect(await race).toBeNull();
    expect(failures).toEqual(['10.0.0.1:7000: refused', 'DHT: PEER_NOT_FOUND']);
  });

  it("the caller's abort rejects with ABORTED and cancels every attempt", async () => {
    const a = manual('10.0.0.1:7000', 'tcp');
    const controller = new AbortController();
    const race = raceDials([a.attempt], 60_000, controller.signal, []);
    controller.abort();
    await expect(race).rejects.toMatchObject({ code: 'ABORTED' });
    expect(a.state.cancelled).toBe(true);
  });
});

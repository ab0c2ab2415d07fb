import type NoiseSecretStream from '@hyperswarm/secret-stream';
import { AbortedError } from '../../errors/index.js';
import type { Transport } from '../../ports/network.js';
import type { ConnectionInfo } from '../network-common/stream-connection.js';

/**
 * Direct addresses are tried all at once (an unreachable private address costs its timeout
 * otherwise, 5 s each); the DHT, slower to set up, starts this long after them, or as soon as
 * every direct address failed.
 */
export const DHT_HEAD_START_MS = 1_500;

export interface DialAttempt {
  label: string;
  kind: 'tcp' | 'dht';
  run(signal: AbortSignal): Promise<{ stream: NoiseSecretStream; transport: Transport; address: ConnectionInfo['remoteAddress'] }>;
}

/**
 * Runs the attempts (TCP ones at once, the DHT one after `dhtAfterMs` or when every TCP one
 * failed); the first to connect wins, the others are cancelled, and a stream that still
 * connects after the winner is destroyed. Null if all failed (reasons appended to `failures`).
 */
export function raceDials(
  attempts: DialAttempt[],
  dhtAfterMs: number,
  signal: AbortSignal | undefined,
  failures: string[],
): Promise<Awaited<ReturnType<DialAttempt['run']>> | null> {
  return new Promise((resolve, reject) => {
    const race = new AbortController();
    let settled = false;
    let running = 0;
    let dhtTimer: NodeJS.Timeout | undefined;
    const tcp = attempts.filter((a) => a.kind === 'tcp');
    const later = attempts.filter((a) => a.kind === 'dht');
    let tcpLeft = tcp.length;
    const finish = (value: Awaited<ReturnType<DialAttempt['run']>> | null, err?: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(dhtTimer);
      signal?.removeEventListener('abort', onAbort);
      race.abort();
      if (err) reject(err);
      else resolve(value);
    };
    const onAbort = (): void => finish(null, new AbortedError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const start = (attempt: DialAttempt): void => {
      running++;
      attempt.run(race.signal).then(
        (result) => {
          if (settled) result.stream.destroy();
          else finish(result);
        },
        (err: unknown) => {
          if (!settled) failures.push(`${attempt.label}: ${messageOf(err)}`);
        },
      ).finally(() => {
        running--;
        if (attempt.kind === 'tcp' && --tcpLeft === 0) startLater();
        if (running === 0 && later.length === 0 && tcpLeft === 0) finish(null);
      });
    };
    const startLater = (): void => {
      clearTimeout(dhtTimer);
      if (settled) return;
      for (const attempt of later.splice(0)) start(attempt);
    };
    for (const attempt of tcp) start(attempt);
    if (tcp.length === 0) startLater();
    else if (later.length > 0) dhtTimer = setTimeout(startLater, dhtAfterMs);
  });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

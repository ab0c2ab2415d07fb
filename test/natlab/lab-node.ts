import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../helpers/wait.js';
import type { Lab, LabHost } from './lab.js';

const bin = fileURLToPath(new URL('../../bin/agora.js', import.meta.url));
const built = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** One real `agora` home whose node and CLI run inside a host of the NAT lab. */
export class LabNode {
  readonly home: string;

  constructor(
    private readonly lab: Lab,
    readonly host: LabHost,
    readonly label: string,
    root: string,
  ) {
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it).');
    this.home = join(root, label);
    mkdirSync(this.home, { recursive: true });
  }

  /** Runs `agora --home HOME ...args` in the lab host; fails with its stderr on a non-zero exit. */
  async run(...args: string[]): Promise<string> {
    const r = await this.lab.run(this.host, [process.execPath, bin, '--home', this.home, ...args], { timeoutMs: 90_000 });
    if (r.code !== 0) throw new Error(`[${this.label}] agora ${args.join(' ')} exited ${r.code}: ${r.stderr || r.stdout}`);
    return r.stdout;
  }

  /** Exit code only (for `agora wait`, whose 3 means a timeout). */
  async code(...args: string[]): Promise<number | null> {
    return (await this.lab.run(this.host, [process.execPath, bin, '--home', this.home, ...args], { timeoutMs: 90_000 })).code;
  }

  async json<T>(...args: string[]): Promise<T> {
    return JSON.parse(await this.run(...args, '--json')) as T;
  }

  /** Stops the node if it runs; never throws (the lab is torn down after). */
  async stop(): Promise<void> {
    if (!existsSync(join(this.home, 'api.json'))) return;
    await this.lab.run(this.host, [process.execPath, bin, '--home', this.home, 'stop'], { timeoutMs: 30_000 }).catch(() => undefined);
  }

  /** The node's log (pino JSON lines), for a failing test's message. */
  logTail(lines = 30): string {
    const file = join(this.home, 'node.log');
    return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n') : '(no log)';
  }
}

/**
 * Waits until `check` returns a value (not undefined), asking again while it throws (a CLI call
 * can fail while a node restarts); fails with `what` and the last error after `timeoutMs`.
 */
export async function poll<T>(check: () => Promise<T | undefined>, what: string, timeoutMs = 60_000): Promise<T> {
  let value: T | undefined;
  let last: unknown = null;
  const ready = async (): Promise<boolean> => {
    try {
      value = await check();
      return value !== undefined;
    } catch (err) {
      last = err;
      return false;
    }
  };
  try {
    await waitFor(ready, what, timeoutMs);
  } catch (err) {
    throw new Error(`${(err as Error).message}${last ? ` (last error: ${String(last)})` : ''}`, { cause: err });
  }
  return value as T;
}

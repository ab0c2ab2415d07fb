import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = fileURLToPath(new URL('../../bin/agora.js', import.meta.url));
const built = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** One real `agora` home on this machine, driven through the CLI exactly as a user would. */
export class AgoraHome {
  readonly home: string;

  constructor(readonly label: string) {
    if (!existsSync(built)) throw new Error('dist/ is missing: run `npm run build` first (npm test does it).');
    this.home = mkdtempSync(join(tmpdir(), `agora-e2e-${label}-`));
  }

  /** Extra environment for the node this home starts (fault injection in tests). */
  env: Record<string, string> = {};

  run(...args: string[]): Promise<CliResult> {
    return new Promise((resolve) => {
      const options = { timeout: 120_000, env: { ...process.env, ...this.env } };
      execFile(process.execPath, [bin, '--home', this.home, ...args], options, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** Starts a command that runs until stopped (`chat tail`); the caller kills it. */
  spawn(...args: string[]): ChildProcessWithoutNullStreams {
    return spawn(process.execPath, [bin, '--home', this.home, ...args], { env: { ...process.env, ...this.env } });
  }

  /** Runs a command with --json and returns its parsed output; fails with its stderr otherwise. */
  async json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
    const r = await this.run(...args, '--json');
    if (r.code !== 0) throw new Error(`agora ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  start(): Promise<Record<string, unknown>> {
    return this.json('start', '--detach', '--listen', '127.0.0.1:0', '--api', '127.0.0.1:0', '--no-dht');
  }

  /** The pid of the running node, from the file it keeps in its home. */
  pid(): number {
    return (JSON.parse(readFileSync(join(this.home, 'api.json'), 'utf8')) as { pid: number }).pid;
  }

  async stop(): Promise<void> {
    if (existsSync(join(this.home, 'api.json'))) await this.run('stop');
  }

  async dispose(): Promise<void> {
    await this.stop();
    // AGORA_E2E_KEEP=1 keeps homes (logs, stores, folders) to look into a failure.
    if (process.env.AGORA_E2E_KEEP !== '1') rmSync(this.home, { recursive: true, force: true });
  }
}

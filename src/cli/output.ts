import { AgoraError } from '../errors/index.js';

/** Everything the CLI prints goes through here: data to stdout, problems to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function printLine(line = ''): void {
  process.stdout.write(line + '\n');
}

/** A plain table: a header row and aligned columns. */
export function printTable(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  printLine(fmt(headers));
  for (const row of rows) printLine(fmt(row));
}

export const EXIT_OK = 0;
export const EXIT_ERROR = 1;
export const EXIT_USAGE = 2;
/** `agora wait` ran out of time before the folder was in sync. */
export const EXIT_TIMEOUT = 3;

export class UsageError extends Error {}

/** Something waited for did not happen in time: exit 3, so scripts tell it from a failure. */
export class WaitTimeoutError extends AgoraError {
  constructor(message: string) {
    super('TIMEOUT', message);
    this.name = 'WaitTimeoutError';
  }
}

/** Cuts a line to the terminal's width, so that redrawing it in place never wraps. */
export function fitLine(line: string, columns: number | undefined): string {
  const max = Math.max(10, (columns || 80) - 1);
  const chars = [...line];
  return chars.length <= max ? line : chars.slice(0, max - 1).join('') + '…';
}

/**
 * One line redrawn in place (progress bars). Only on a TTY: elsewhere update() does nothing.
 * Ctrl-C while it shows ends the line first, so the shell prompt starts on a fresh one.
 */
export class LiveLine {
  readonly enabled = process.stdout.isTTY === true;
  private shown = false;
  private last = '';
  private readonly onInterrupt = () => {
    this.end();
    process.exit(130);
  };

  update(text: string): void {
    if (!this.enabled) return;
    const line = fitLine(text, process.stdout.columns);
    if (this.shown && line === this.last) return;
    if (!this.shown) process.once('SIGINT', this.onInterrupt);
    this.shown = true;
    this.last = line;
    process.stdout.write('\r\x1b[2K' + line);
  }

  /** Leaves the last text on screen and moves to the next line. */
  end(): void {
    if (!this.shown) return;
    this.shown = false;
    process.off('SIGINT', this.onInterrupt);
    process.stdout.write('\n');
  }
}

/** Turns any failure into a message (or a JSON error with --json) and an exit code. */
export function reportError(err: unknown, json: boolean): number {
  if (err instanceof UsageError) {
    process.stderr.write(`agora: ${err.message}\n`);
    return EXIT_USAGE;
  }
  const code = err instanceof AgoraError ? err.code : 'INTERNAL';
  const message = err instanceof Error ? err.message : String(err);
  if (json) process.stderr.write(JSON.stringify({ error: { code, message } }) + '\n');
  else process.stderr.write(`agora: ${message}\n`);
  return err instanceof WaitTimeoutError ? EXIT_TIMEOUT : EXIT_ERROR;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

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

export class UsageError extends Error {}

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
  return EXIT_ERROR;
}

export function shortId(id: string): string {
  return id.slice(0, 12);
}

import { spawn } from 'node:child_process';
import type { Command } from 'commander';
import type { ApiClient } from '../client/api-client.js';
import { printJson, printLine } from './output.js';

/** The desktop's "open this URL" command; null where there is none we know of. */
function opener(url: string): { command: string; args: string[] } | null {
  if (process.platform === 'darwin') return { command: 'open', args: [url] };
  if (process.platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""', url.replace(/&/g, '^&')] };
  return { command: 'xdg-open', args: [url] };
}

/** Resolves true once the opener started; false if there is none (no desktop, a server). */
export function openInBrowser(url: string): Promise<boolean> {
  const how = opener(url);
  if (!how) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      const child = spawn(how.command, how.args, { stdio: 'ignore', detached: true });
      child.once('error', () => resolve(false));
      child.once('spawn', () => {
        child.unref();
        resolve(true);
      });
    } catch {
      resolve(false);
    }
  });
}

export function registerOpenCommand(program: Command, client: () => ApiClient): void {
  program
    .command('open')
    .description('open the web app in the default browser, signed in with a one-time link')
    .option('--no-browser', 'only print the link')
    .option('--json', 'print JSON: {url, link, expiresAt}')
    .action(async (opts: { browser: boolean; json?: boolean }) => {
      const api = client();
      const link = await api.loginLink();
      if (opts.json) return printJson({ url: `${api.url}/`, link: link.url, expiresAt: link.expiresAt });
      printLine(`Web app: ${api.url}/`);
      printLine(`Sign-in link (works once, for 15 minutes):\n  ${link.url}`);
      const opened = opts.browser && (await openInBrowser(link.url));
      printLine(opened ? 'Opening it in your browser…' : 'Open the link in a browser on this computer.');
    });
}

/** Foreground start: once the node answers, print a sign-in link beside its own banner. */
export async function printSignInLinkWhenReady(client: () => ApiClient, isRunning: () => boolean): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && isRunning()) {
    try {
      const link = await client().loginLink();
      printLine(`  Sign in:   ${link.url}\n  (a one-time link, valid 15 minutes; for a new one run: agora open)`);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { HttpApiClient } from '../../src/client/http-client.js';
import type { ApiInfoFile, FolderStatus } from '../../src/contract/api.js';
import { AgoraHome } from '../e2e/agora-process.js';
import { launchChromium, Person } from './browser.js';

/**
 * The real nodes and browsers of one browser-test file: nodes named and started through the CLI,
 * people signed in to them, and everything stopped and removed at the end. Set-up that is not
 * what a test checks (a space, invites, joins) goes through the CLI, which is quicker.
 */
export class WebNodes {
  browser!: Browser;
  readonly homes: AgoraHome[] = [];
  readonly people: Person[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly prefix: string) {}

  async launch(): Promise<void> {
    this.browser = await launchChromium();
  }

  /** A started node whose display name is `name` (so its browser skips the first run). */
  async node(name: string): Promise<AgoraHome> {
    const h = new AgoraHome(`${this.prefix}-${name.toLowerCase()}`);
    this.homes.push(h);
    await h.json('init', '--name', name);
    await h.start();
    return h;
  }

  async person(h: AgoraHome, options?: { mobile?: boolean }): Promise<Person> {
    const p = await Person.open(this.browser, h, options);
    this.people.push(p);
    return p;
  }

  /** An empty directory removed at the end. */
  tempDir(label: string): string {
    const d = mkdtempSync(join(tmpdir(), `agora-${this.prefix}-${label}-`));
    this.dirs.push(d);
    return d;
  }

  /** `h` joins the admin's space with an invite of `role`; returns its member id. */
  async join(admin: AgoraHome, h: AgoraHome, space: string, role: 'member' | 'guest' | 'admin' = 'member'): Promise<string> {
    const { link } = await admin.json<{ link: string }>('invite', '--space', space, '--role', role);
    await h.json('join', link, '--dir', join(h.home, 'spaces'));
    return (await h.json<{ deviceId: string }>('status')).deviceId;
  }

  /** Where the folder `name` is on the disk of `h` (once that node has it). */
  async folderPath(h: AgoraHome, name: string): Promise<string | undefined> {
    const list = await h.json<{ name: string; path: string }[]>('folder', 'list');
    return list.find((f) => f.name === name)?.path;
  }

  /** The typed client on a node's API with its bearer token: for watching a node closely from a test. */
  client(h: AgoraHome): HttpApiClient {
    const info = JSON.parse(readFileSync(join(h.home, 'api.json'), 'utf8')) as ApiInfoFile;
    return new HttpApiClient(info.url, { token: readFileSync(join(h.home, 'api-token'), 'utf8').trim() });
  }

  status(h: AgoraHome, folder: string): Promise<FolderStatus> {
    return this.client(h).folderStatus(folder);
  }

  /** A picture of every page and its console, when a test fails. */
  async onFailure(): Promise<void> {
    for (const [i, p] of this.people.entries()) {
      const file = join(tmpdir(), `agora-${this.prefix}-failure-${p.home.label}-${i}.png`);
      await p.page.screenshot({ path: file }).catch(() => undefined);
      process.stderr.write(`${this.prefix} test failed; ${p.home.label} showed ${p.page.url()} (screenshot ${file}); console: ${JSON.stringify(p.errors)}\n`);
    }
  }

  /** Stops everything; returns each page's console errors for the caller to check afterwards. */
  async dispose(): Promise<(readonly [string, string[]])[]> {
    const errors = this.people.map((p) => [p.home.label, p.errors] as const);
    await this.browser?.close();
    await Promise.all(this.homes.map((h) => h.dispose()));
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
    return errors;
  }
}

import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { AgoraHome } from '../e2e/agora-process.js';

export const CHROMIUM = process.env.AGORA_CHROMIUM ?? '/usr/bin/chromium';
/**
 * Where the tests save their screenshots: test-output/ (ignored by git) on every run, so that
 * running the suite leaves the checkout clean; AGORA_UPDATE_SCREENSHOTS=1 writes the README's
 * pictures in docs/screenshots instead.
 */
export const SCREENSHOTS = fileURLToPath(
  new URL(process.env.AGORA_UPDATE_SCREENSHOTS === '1' ? '../../docs/screenshots/' : '../../test-output/screenshots/', import.meta.url),
);

/** Debian's Chromium, or a failure that says how to get it: browser tests never skip silently. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}. Install it with: apt-get install -y chromium (or set AGORA_CHROMIUM to a Chromium binary).`);
  }
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export const DESKTOP = { viewport: { width: 1280, height: 860 } };
export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true };

/** One person's browser, signed in to their own node through the one-time link of `agora open`. */
export class Person {
  readonly errors: string[] = [];

  private constructor(
    readonly home: AgoraHome,
    readonly context: BrowserContext,
    readonly page: Page,
  ) {
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') this.errors.push(`${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => this.errors.push(`pageerror: ${err.message}`));
  }

  static async open(browser: Browser, home: AgoraHome, options: { mobile?: boolean } = {}): Promise<Person> {
    // Reduced motion: the app then skips transitions, so screenshots and accessibility checks see settled frames.
    const context = await browser.newContext({
      reducedMotion: 'reduce',
      ...(options.mobile ? PHONE : DESKTOP),
    });
    const page = await context.newPage();
    const person = new Person(home, context, page);
    const { link } = await home.json<{ link: string }>('open', '--no-browser');
    await page.goto(link);
    return person;
  }

  /**
   * Chromium logs every HTTP error response as "Failed to load resource". A test that provokes one
   * on purpose (a mistyped invite) drops exactly those lines; any other console error still fails.
   */
  allowHttpErrors(status: number): void {
    const expected = `the server responded with a status of ${status}`;
    for (let i = this.errors.length - 1; i >= 0; i--) if (this.errors[i]!.includes(expected)) this.errors.splice(i, 1);
  }

  async screenshot(name: string): Promise<void> {
    mkdirSync(SCREENSHOTS, { recursive: true });
    await this.page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
  }

  async close(): Promise<void> {
    await this.context.close();
  }
}

/** The browser's globals used inside page.evaluate (the test code is compiled without the DOM library). */
interface BrowserGlobals {
  document: { activeElement: unknown };
  DataTransfer: new () => { items: { add(file: unknown): void } };
  File: new (parts: string[], name: string, options: { type: string }) => unknown;
}

export function focused(_page: Page, locator: ReturnType<Page['locator']>): Promise<boolean> {
  return locator.evaluate((el) => el === (globalThis as unknown as BrowserGlobals).document.activeElement).catch(() => false);
}

/** Presses Tab (or Shift+Tab) until `target` has the focus; fails if it is not reachable that way. */
export async function tabTo(page: Page, target: ReturnType<Page['locator']>, maxPresses = 60, key = 'Tab'): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    if (await focused(page, target)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`could not reach ${String(target)} with ${key} in ${maxPresses} presses`);
}

/** What a drag from the file manager delivers: a drop event whose DataTransfer holds a File. */
export async function dropFile(page: Page, name: string, content: string, zoneTestId = 'drop-zone'): Promise<void> {
  const data = await page.evaluateHandle(
    ([fileName, text]) => {
      const g = globalThis as unknown as BrowserGlobals;
      const dt = new g.DataTransfer();
      dt.items.add(new g.File([text], fileName, { type: 'text/plain' }));
      return dt;
    },
    [name, content] as const,
  );
  const zone = page.getByTestId(zoneTestId);
  await zone.dispatchEvent('dragover', { dataTransfer: data });
  await zone.dispatchEvent('drop', { dataTransfer: data });
}

/** Waits until `condition` holds, polling; fails with `what` after `timeoutMs`. Never a fixed sleep. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000, step?: () => void): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    step?.();
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const MIN_MS = 1_000;
const MAX_MS = 30_000;

/** Per-peer exponential backoff for reconnection attempts. */
export class Backoff {
  private readonly state = new Map<string, { delay: number; next: number }>();

  due(id: string, now: number): boolean {
    const s = this.state.get(id);
    return !s || now >= s.next;
  }

  failed(id: string, now: number): void {
    const s = this.state.get(id);
    const delay = s ? Math.min(s.delay * 2, MAX_MS) : MIN_MS;
    this.state.set(id, { delay, next: now + delay });
  }

  reset(id: string): void {
    this.state.delete(id);
  }
}

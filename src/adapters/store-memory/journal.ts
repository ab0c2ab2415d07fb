/**
 * Undo log that gives the memory store SQLite's transaction semantics: a throw undoes the writes
 * made since the matching transaction() began, nested transactions behave like savepoints.
 * Cheaper than snapshotting every map, which would cost O(store size) per transaction.
 */
export class Journal {
  private readonly undo: (() => void)[] = [];
  private depth = 0;

  /** Remembers how to revert a write that has just been made; free outside a transaction. */
  record(revert: () => void): void {
    if (this.depth > 0) this.undo.push(revert);
  }

  run<T>(fn: () => T): T {
    const mark = this.undo.length;
    this.depth += 1;
    try {
      const result = fn();
      if (typeof (result as { then?: unknown } | null)?.then === 'function') {
        throw new TypeError('Store.transaction(fn): fn must be synchronous; writes after its first await would escape the transaction.');
      }
      return result;
    } catch (err) {
      while (this.undo.length > mark) this.undo.pop()?.();
      throw err;
    } finally {
      this.depth -= 1;
      if (this.depth === 0) this.undo.length = 0;
    }
  }

  set<K, V>(map: Map<K, V>, key: K, value: V): void {
    const had = map.has(key);
    const previous = map.get(key);
    map.set(key, value);
    this.record(() => (had ? map.set(key, previous as V) : map.delete(key)));
  }

  delete<K, V>(map: Map<K, V>, key: K): void {
    if (!map.has(key)) return;
    const previous = map.get(key) as V;
    map.delete(key);
    this.record(() => map.set(key, previous));
  }
}

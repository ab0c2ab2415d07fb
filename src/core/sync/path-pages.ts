import type { PathPage } from '../../ports/store.js';
import { compareText } from '../../protocol/index.js';

/**
 * Records this many paths at a time: a folder's whole index is read at start and after access
 * changes, and 100k full records at once were ~250 MB of heap for a moment, which V8 then kept.
 */
export const PATH_PAGE = 2000;

/**
 * Every record of a listing ordered by path, fetched a page at a time. Each page is a query of
 * its own, run to the end before anything is yielded, so the caller may use the store between
 * records.
 */
export function* paged<T extends { path: string }>(fetch: (page: PathPage) => T[], limit = PATH_PAGE): Generator<T> {
  let after = '';
  for (;;) {
    const page = fetch({ after, limit });
    yield* page;
    const last = page[page.length - 1];
    if (page.length < limit || last === undefined) return;
    after = last.path;
  }
}

/**
 * Merges listings ordered by path (compareText), one per source, into one group per path, in
 * path order. Within a group, sources keep the order they were given in.
 */
export function* groupByPath<K, T extends { path: string }>(
  sources: readonly { key: K; records: Iterable<T> }[],
): Generator<{ path: string; items: { key: K; record: T }[] }> {
  const heads = sources.map((s) => {
    const it = s.records[Symbol.iterator]();
    return { key: s.key, it, next: it.next() };
  });
  for (;;) {
    let path: string | undefined;
    for (const h of heads) if (!h.next.done && (path === undefined || compareText(h.next.value.path, path) < 0)) path = h.next.value.path;
    if (path === undefined) return;
    const items: { key: K; record: T }[] = [];
    for (const h of heads) {
      if (h.next.done || h.next.value.path !== path) continue;
      items.push({ key: h.key, record: h.next.value });
      h.next = h.it.next();
    }
    yield { path, items };
  }
}

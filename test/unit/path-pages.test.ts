import { describe, expect, it } from 'vitest';
import { groupByPath, paged } from '../../src/core/sync/path-pages.js';
import type { PathPage } from '../../src/ports/store.js';
import { compareText } from '../../src/protocol/index.js';

const rec = (path: string, n = 0) => ({ path, n });

/** A listing ordered as the store orders it, that records the pages asked for. */
function listing(paths: string[]) {
  const sorted = [...paths].sort(compareText).map((p) => rec(p));
  const asked: PathPage[] = [];
  const fetch = (page: PathPage) => {
    asked.push(page);
    return sorted.filter((r) => compareText(r.path, page.after) > 0).slice(0, page.limit);
  };
  return { sorted, asked, fetch };
}

describe('paged', () => {
  it('yields every record once, in order, asking for the page after the last path seen', () => {
    const l = listing(['d', 'a', 'c', 'b', 'e', '😀', '\u{E000}']);
    expect([...paged(l.fetch, 3)]).toEqual(l.sorted);
    expect(l.asked.map((p) => p.after)).toEqual(['', 'c', '\u{E000}']);
  });

  it('asks once more after a full last page, and once for an empty listing', () => {
    const l = listing(['a', 'b']);
    expect([...paged(l.fetch, 2)].map((r) => r.path)).toEqual(['a', 'b']);
    expect(l.asked).toEqual([{ after: '', limit: 2 }, { after: 'b', limit: 2 }]);
    const empty = listing([]);
    expect([...paged(empty.fetch, 2)]).toEqual([]);
    expect(empty.asked).toHaveLength(1);
  });

  it('fetches lazily: a page is read only when the previous one is used up', () => {
    const l = listing(['a', 'b', 'c', 'd']);
    const it = paged(l.fetch, 2);
    it.next();
    it.next();
    expect(l.asked).toHaveLength(1);
    it.next();
    expect(l.asked).toHaveLength(2);
  });
});

describe('groupByPath', () => {
  it('groups the records of every source by path, in store order, sources in the order given', () => {
    const a = [rec('a', 1), rec('c', 1), rec('\u{FFFD}', 1), rec('😀', 1)];
    const b = [rec('b', 2), rec('c', 2), rec('😀', 2)];
    const c: { path: string; n: number }[] = [];
    const groups = [...groupByPath([{ key: 'A', records: a }, { key: 'B', records: b }, { key: 'C', records: c }])];
    expect(groups.map((g) => [g.path, g.items.map((i) => `${i.key}${i.record.n}`)])).toEqual([
      ['a', ['A1']],
      ['b', ['B2']],
      ['c', ['A1', 'B2']],
      ['\u{FFFD}', ['A1']],
      ['😀', ['A1', 'B2']],
    ]);
  });

  it('yields nothing without sources or records', () => {
    expect([...groupByPath([])]).toEqual([]);
    expect([...groupByPath([{ key: 1, records: [] }])]).toEqual([]);
  });
});

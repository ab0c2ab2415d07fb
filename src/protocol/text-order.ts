/**
 * The order of text in the SQLite store (and so of every port method that says "ordered by
 * path"): SQLite compares text as UTF-8 bytes, which is code point order; JavaScript's `<`
 * compares UTF-16 units, which puts U+E000..U+FFFF after characters above U+FFFF. Moving
 * surrogates above that range makes the two agree (paths are user text, so such names occur).
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

function codePointRank(unit: number): number {
  if (unit >= 0xd800 && unit <= 0xdfff) return unit + 0x2000;
  return unit >= 0xe000 ? unit - 0x800 : unit;
}

/**
 * Reproducible pseudo-random bytes (xorshift32 from `seed`): content-defined cuts fall in them as
 * in real files, and a test that fails can be run again on the same data.
 */
export function pseudoRandom(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

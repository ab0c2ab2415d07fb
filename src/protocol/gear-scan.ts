/**
 * The hot loop of FastCDC (fastcdc.ts) as a small WebAssembly function. The Gear hash is a
 * chain of shift-and-add over every byte; in JavaScript that loop ran at 0.5–1 GB/s depending
 * on how warm V8's optimizer was (a fresh hash worker starts cold, and the loop's rarely taken
 * tail kept deoptimizing it). Compiled WebAssembly runs it at ~1.4 GB/s from the first call.
 *
 * The module is assembled here from its instructions rather than shipped as a binary, so the
 * source of every byte is in this file (no build step, no wat2wasm). It is:
 *
 *   (memory (export "memory") 1)           ;; [0, 1024): the gear table; [1024, 65536): data
 *   (global $hash (export "hash") (mut i32) (i32.const 0))
 *   (func (export "scan") (param $i i32) (param $end i32) (param $mask i32) (param $h i32) (result i32)
 *     ;; 4 bytes per turn while 4 are left, then 1 per turn; for each byte b at $i + k:
 *     ;;   $h = ($h << 1) + gear[b]; if ($h & $mask) == 0: $hash = $h; return $i + k
 *     ;; at $end: $hash = $h; return -1
 *   )
 *
 * `test/unit/fastcdc.test.ts` checks it against a plain JavaScript statement of the rule.
 */

/** Where the data starts in the module's memory; the gear table (256 little-endian i32) is below. */
const DATA = 1024;
/** Bytes copied into the module's memory per call: small enough that a cut found early wastes little copying. */
const PIECE = 32 * 1024;

const uleb = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
};
const sleb = (n: number): number[] => {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
};
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Array.from(s, (c) => c.charCodeAt(0))];

// Opcodes used below (WebAssembly core spec, section 5.4).
const op = {
  block: 0x02, loop: 0x03, if: 0x04, end: 0x0b, br: 0x0c, brIf: 0x0d, return: 0x0f, void: 0x40,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalSet: 0x24,
  i32Load: 0x28, i32Load8U: 0x2d, i32Const: 0x41, i32Eqz: 0x45, i32GtU: 0x4b, i32GeU: 0x4f,
  i32Add: 0x6a, i32And: 0x71, i32Shl: 0x74, i32: 0x7f,
} as const;
const [I, END, MASK, H] = [0, 1, 2, 3];
const get = (local: number): number[] => [op.localGet, local];
const i32 = (n: number): number[] => [op.i32Const, ...sleb(n)];

/** One byte at $i + k: roll the hash, and return $i + k if the masked hash is zero. */
function rollByte(k: number): number[] {
  return [
    ...get(H), ...i32(1), op.i32Shl,
    ...get(I), op.i32Load8U, 0, ...uleb(DATA + k), ...i32(2), op.i32Shl, op.i32Load, 2, 0,
    op.i32Add, op.localTee, H,
    ...get(MASK), op.i32And, op.i32Eqz,
    op.if, op.void, ...get(H), op.globalSet, 0, ...get(I), ...(k > 0 ? [...i32(k), op.i32Add] : []), op.return, op.end,
  ];
}

/** A loop over $i while $i + step <= $end, rolling `step` bytes per turn. */
function rollLoop(step: number): number[] {
  const bytes = Array.from({ length: step }, (_, k) => rollByte(k)).flat();
  return [
    op.block, op.void, op.loop, op.void,
    ...get(I), ...i32(step), op.i32Add, ...get(END), op.i32GtU, op.brIf, 1,
    ...bytes,
    ...get(I), ...i32(step), op.i32Add, op.localSet, I, op.br, 0,
    op.end, op.end,
  ];
}

function moduleBytes(): Uint8Array {
  const body = [0 /* no locals beyond the parameters */, ...rollLoop(4), ...rollLoop(1), ...get(H), op.globalSet, 0, ...i32(-1), op.end];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, 4, op.i32, op.i32, op.i32, op.i32, 1, op.i32]])), // type: (i32 x4) -> i32
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, 1]])), // one memory of one page, no maximum
    ...section(6, vector([[op.i32, 1, ...i32(0), op.end]])), // the mutable global $hash
    ...section(7, vector([[...name('scan'), 0x00, 0], [...name('memory'), 0x02, 0], [...name('hash'), 0x03, 0]])),
    ...section(10, vector([[...uleb(body.length), ...body]])),
  ]);
}

interface ScanExports {
  scan(i: number, end: number, mask: number, h: number): number;
  memory: WebAssembly.Memory;
  hash: WebAssembly.Global;
}

/** Rolls the Gear hash of one gear table over byte ranges. One per thread (each holds its own 64 KiB of memory). */
export class GearScanner {
  private readonly exports: ScanExports;
  private readonly memory: Uint8Array;
  /** The hash after the last scan that found no cut. */
  hash = 0;

  constructor(gear: Int32Array) {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()), {});
    this.exports = instance.exports as unknown as ScanExports;
    const view = new DataView(this.exports.memory.buffer);
    for (let b = 0; b < 256; b++) view.setInt32(4 * b, gear[b]!, true);
    this.memory = new Uint8Array(this.exports.memory.buffer);
  }

  /**
   * Rolls the hash over data[i..end) starting from `h`; returns the index of the first byte
   * after which (h & mask) === 0, or -1 with the final hash in `this.hash`.
   */
  scan(data: Uint8Array, i: number, end: number, mask: number, h: number): number {
    const { scan, hash } = this.exports;
    while (i < end) {
      const n = Math.min(PIECE, end - i);
      this.memory.set(data.subarray(i, i + n), DATA);
      const at = scan(0, n, mask, h);
      if (at >= 0) return i + at;
      h = hash.value as number;
      i += n;
    }
    this.hash = h;
    return -1;
  }
}

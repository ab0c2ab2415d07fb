import c, { type Encoder, type State } from 'compact-encoding';

/**
 * Encoders that refuse oversized input while decoding, so that a malicious peer cannot make
 * us allocate or loop over more than a message type allows.
 */
export class DecodeError extends Error {
  readonly code = 'PROTOCOL';
  constructor(message: string) {
    super(message);
    this.name = 'DecodeError';
  }
}

export function boundedArray<T>(enc: Encoder<T>, max: number): Encoder<T[]> {
  return {
    preencode(state: State, list: T[]) {
      c.uint.preencode(state, list.length);
      for (const item of list) enc.preencode(state, item);
    },
    encode(state: State, list: T[]) {
      c.uint.encode(state, list.length);
      for (const item of list) enc.encode(state, item);
    },
    decode(state: State): T[] {
      const length = c.uint.decode(state);
      if (length > max) throw new DecodeError(`list of ${length} items exceeds the limit of ${max}`);
      const list: T[] = [];
      for (let i = 0; i < length; i++) list.push(enc.decode(state));
      return list;
    },
  };
}

export function boundedString(maxBytes: number): Encoder<string> {
  return {
    preencode: (state, value) => c.string.preencode(state, value),
    encode: (state, value) => c.string.encode(state, value),
    decode(state) {
      const start = state.start;
      const length = c.uint.decode(state);
      if (length > maxBytes) throw new DecodeError(`text of ${length} bytes exceeds the limit of ${maxBytes}`);
      state.start = start;
      return c.string.decode(state);
    },
  };
}

/**
 * A length-prefixed blob of at most `maxBytes`. By default the decoded Buffer is a copy, so it
 * does not pin the whole received message. `copy: false` returns a view of the message instead:
 * for bulk data (block bytes) whose receiver only hashes and writes it, and whose message buffer
 * the stream never reuses.
 */
export function boundedBuffer(maxBytes: number, options: { copy?: boolean; what?: string } = {}): Encoder<Buffer> {
  const copy = options.copy ?? true;
  const what = options.what ?? 'blob';
  return {
    preencode: (state, value) => c.buffer.preencode(state, value),
    encode: (state, value) => c.buffer.encode(state, value),
    decode(state) {
      const start = state.start;
      const length = c.uint.decode(state);
      if (length > maxBytes) throw new DecodeError(`${what} of ${length} bytes exceeds the limit of ${maxBytes}`);
      state.start = start;
      const value = c.buffer.decode(state);
      if (value === null) return Buffer.alloc(0);
      return copy ? Buffer.from(value) : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    },
  };
}

/** Decodes a whole buffer and refuses trailing bytes. */
export function decodeExact<T>(enc: Encoder<T>, buffer: Uint8Array): T {
  const state = c.state(0, buffer.byteLength, buffer);
  let value: T;
  try {
    value = enc.decode(state);
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError(`malformed message: ${(err as Error).message}`);
  }
  if (state.start !== state.end) throw new DecodeError('malformed message: trailing bytes');
  return value;
}

export const fixed32 = c.fixed32 as Encoder<Buffer>;
export const fixed64 = c.fixed64 as Encoder<Buffer>;

/** An encoder for an object, field by field in the order given. */
export function struct<T extends object>(fields: { [K in keyof T]: Encoder<T[K]> }): Encoder<T> {
  const keys = Object.keys(fields) as (keyof T)[];
  return {
    preencode(state, value) {
      for (const k of keys) fields[k].preencode(state, value[k]);
    },
    encode(state, value) {
      for (const k of keys) fields[k].encode(state, value[k]);
    },
    decode(state) {
      const out = {} as T;
      for (const k of keys) out[k] = fields[k].decode(state);
      return out;
    },
  };
}

/** Exactly `n` bytes, decoded as a Buffer of its own. */
export function fixedBuffer(n: 32 | 64): Encoder<Buffer> {
  const enc = n === 32 ? fixed32 : fixed64;
  return {
    preencode: (state, v) => enc.preencode(state, v),
    encode: (state, v) => enc.encode(state, v),
    decode: (state) => Buffer.from(enc.decode(state)),
  };
}

/** `bytes` bytes carried as lower-case hex in memory. */
export function hexFixed(bytes: 16 | 32): Encoder<string> {
  const enc = c.fixed(bytes) as Encoder<Buffer>;
  return {
    preencode: (state, v) => enc.preencode(state, Buffer.from(v, 'hex')),
    encode: (state, v) => enc.encode(state, Buffer.from(v, 'hex')),
    decode: (state) => Buffer.from(enc.decode(state)).toString('hex'),
  };
}

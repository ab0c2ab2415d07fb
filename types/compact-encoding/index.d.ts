// Hand-written declarations for compact-encoding (the package ships none).
declare module 'compact-encoding' {
  export interface State {
    start: number;
    end: number;
    buffer: Buffer | null;
    cache?: unknown;
  }

  export interface Encoding<T> {
    preencode(state: State, value: T): void;
    encode(state: State, value: T): void;
    decode(state: State): T;
  }

  export function state(start?: number, end?: number, buffer?: Buffer | null): State;
  export function encode<T>(enc: Encoding<T>, value: T): Buffer;
  export function decode<T>(enc: Encoding<T>, buffer: Buffer): T;
  export function array<T>(enc: Encoding<T>): Encoding<T[]>;
  export function frame<T>(enc: Encoding<T>): Encoding<T>;
  export function fixed(n: number): Encoding<Buffer>;

  export const uint: Encoding<number>;
  export const uint8: Encoding<number>;
  export const uint16: Encoding<number>;
  export const uint32: Encoding<number>;
  export const uint64: Encoding<number>;
  export const int: Encoding<number>;
  export const bool: Encoding<boolean>;
  export const string: Encoding<string>;
  export const utf8: Encoding<string>;
  export const buffer: Encoding<Buffer | null>;
  export const binary: Encoding<Buffer | string>;
  export const raw: Encoding<Buffer>;
  export const fixed32: Encoding<Buffer>;
  export const fixed64: Encoding<Buffer>;
  export const none: Encoding<null>;
  export const json: Encoding<unknown>;

  const c: {
    state: typeof state;
    encode: typeof encode;
    decode: typeof decode;
    array: typeof array;
    frame: typeof frame;
    fixed: typeof fixed;
    uint: Encoding<number>;
    uint8: Encoding<number>;
    uint16: Encoding<number>;
    uint32: Encoding<number>;
    uint64: Encoding<number>;
    int: Encoding<number>;
    bool: Encoding<boolean>;
    string: Encoding<string>;
    utf8: Encoding<string>;
    buffer: Encoding<Buffer | null>;
    binary: Encoding<Buffer | string>;
    raw: Encoding<Buffer>;
    fixed32: Encoding<Buffer>;
    fixed64: Encoding<Buffer>;
    none: Encoding<null>;
    json: Encoding<unknown>;
  };
  export default c;
}

// Hand-written declarations for the parts of protomux Agora uses (the package ships none).
declare module 'protomux' {
  import type { Encoder } from 'compact-encoding';
  type Encoding<T> = Encoder<T>;

  export interface MessageOptions<T = unknown> {
    encoding: Encoding<T>;
    onmessage?: (message: T, channel: Channel) => void | Promise<void>;
  }

  export interface Message<T = unknown> {
    send(data: T): boolean;
    encoding: Encoding<T>;
    onmessage: ((message: T, channel: Channel) => void | Promise<void>) | null;
  }

  export interface ChannelOptions<H = unknown> {
    protocol: string;
    id?: Buffer | null;
    unique?: boolean;
    handshake?: Encoding<H> | null;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each message has its own type
    messages?: MessageOptions<any>[];
    onopen?: (handshake: H, channel: Channel) => void | Promise<void>;
    onclose?: (isRemote: boolean, channel: Channel) => void | Promise<void>;
    ondestroy?: () => void | Promise<void>;
    userData?: unknown;
  }

  export interface Channel {
    readonly protocol: string;
    readonly id: Buffer | null;
    readonly opened: boolean;
    readonly closed: boolean;
    readonly destroyed: boolean;
    readonly messages: Message[];
    userData: unknown;
    open(handshake?: unknown): void;
    addMessage<T>(opts: MessageOptions<T>): Message<T>;
    close(): void;
    cork(): void;
    uncork(): void;
    fullyOpened(): Promise<boolean>;
  }

  export default class Protomux {
    constructor(stream: unknown, options?: { alloc?: (size: number) => Buffer });
    static from(streamOrMux: unknown, options?: { alloc?: (size: number) => Buffer }): Protomux;
    static isProtomux(value: unknown): value is Protomux;
    readonly stream: { destroy(err?: Error): void; destroyed?: boolean };
    readonly isProtomux: true;
    createChannel<H = unknown>(opts: ChannelOptions<H>): Channel | null;
    opened(opts: { protocol: string; id?: Buffer | null }): boolean;
    pair(opts: { protocol: string; id?: Buffer | null }, notify: (id: Buffer | null) => void): void;
    unpair(opts: { protocol: string; id?: Buffer | null }): void;
    cork(): void;
    uncork(): void;
    isIdle(): boolean;
    destroy(err?: Error): void;
    [Symbol.iterator](): Iterator<Channel>;
  }
}

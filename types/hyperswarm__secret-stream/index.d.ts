// Hand-written declarations for the parts of @hyperswarm/secret-stream Agora uses (the package ships none).
declare module '@hyperswarm/secret-stream' {
  import { Duplex } from 'streamx';

  export interface SecretStreamKeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }

  export interface SecretStreamOptions {
    keyPair?: SecretStreamKeyPair;
    publicKey?: Buffer;
    /** Expected remote key; only enforced by handshake patterns that need it (not the default XX). */
    remotePublicKey?: Buffer;
    /** Send an empty message whenever the stream has been idle (no writes) for this many ms. */
    keepAlive?: number;
    autoStart?: boolean;
    pattern?: string;
  }

  /** The transport under the encryption: a net.Socket for TCP, a udx stream for hyperdht. */
  export interface RawStream {
    remoteHost?: string | null;
    remotePort?: number;
    remoteAddress?: string;
    destroy(err?: Error): void;
  }

  export default class NoiseSecretStream extends Duplex {
    constructor(isInitiator: boolean, rawStream?: unknown, options?: SecretStreamOptions);
    static keyPair(seed?: Buffer): SecretStreamKeyPair;

    readonly isInitiator: boolean;
    readonly publicKey: Buffer | null;
    /** Known once `opened` resolves true. */
    readonly remotePublicKey: Buffer | null;
    readonly handshakeHash: Buffer | null;
    readonly connected: boolean;
    /** Resolves true after the Noise handshake, false if the stream was destroyed first. */
    readonly opened: Promise<boolean>;
    readonly rawStream: RawStream | null;
    readonly keepAlive: number;
    readonly timeout: number;
    readonly rawBytesRead: number;
    readonly rawBytesWritten: number;
    userData: unknown;

    /** Destroys the stream when nothing has been received for `ms` (0 disables). */
    setTimeout(ms: number): void;
    setKeepAlive(ms: number): void;
    sendKeepAlive(): void;
  }
}

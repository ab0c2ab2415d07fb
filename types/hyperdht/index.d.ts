// Hand-written declarations for the parts of hyperdht (and dht-rpc, its base) Agora uses.
declare module 'hyperdht' {
  import { EventEmitter } from 'node:events';
  import type NoiseSecretStream from '@hyperswarm/secret-stream';

  export interface DhtKeyPair {
    publicKey: Buffer;
    secretKey: Buffer;
  }

  export type DhtNodeAddress = string | { host: string; port: number };

  export interface HyperDHTOptions {
    /** Bootstrap nodes; omitted or undefined means the public HyperDHT nodes, [] means none. */
    bootstrap?: DhtNodeAddress[];
    keyPair?: DhtKeyPair;
    port?: number;
    host?: string;
    ephemeral?: boolean;
    firewalled?: boolean;
    /** false: fail if `port` is taken instead of picking another. */
    anyPort?: boolean;
    connectionKeepAlive?: number | false;
  }

  export interface DhtServer extends EventEmitter {
    listen(keyPair?: DhtKeyPair): Promise<DhtServer>;
    close(): Promise<void>;
    readonly listening: boolean;
  }

  /** Public key(s) of blind relays, or a function deciding per connection (null: no relay). */
  export type RelayThrough = Buffer | Buffer[] | null | (() => Buffer | Buffer[] | null);

  export interface ConnectOptions {
    keyPair?: DhtKeyPair;
    relayAddresses?: { host: string; port: number }[];
    relayThrough?: RelayThrough;
  }

  export default class HyperDHT extends EventEmitter {
    constructor(options?: HyperDHTOptions);
    static keyPair(seed?: Buffer): DhtKeyPair;
    static bootstrapper(port: number, host: string, options?: HyperDHTOptions): HyperDHT;

    /** True once the first bootstrap query finished, whether or not any node answered. */
    readonly bootstrapped: boolean;
    /** Network health verdict; starts true and is only revised every few 5 s ticks. */
    readonly online: boolean;
    readonly degraded: boolean;
    readonly destroyed: boolean;
    readonly firewalled: boolean;
    /** The routing table's known nodes, most recently seen last. */
    readonly nodes: { readonly length: number };

    fullyBootstrapped(): Promise<void>;
    ready(): Promise<void>;
    address(): { host: string; family: number; port: number } | null;
    connect(remotePublicKey: Buffer, options?: ConnectOptions): NoiseSecretStream;
    createServer(
      options?: { firewall?: (remotePublicKey: Buffer) => boolean; relayThrough?: RelayThrough },
      onconnection?: (conn: NoiseSecretStream) => void,
    ): DhtServer;
    /** A raw udx stream on the DHT's socket (blind-relay allocates these). */
    createRawStream(options?: Record<string, unknown>): unknown;
    /** Our public address as the DHT sees it (null until known); port 0 with a host = randomized NAT. */
    readonly host: string | null;
    readonly port: number;
    /** Behind a NAT that maps each destination to a new port (symmetric). */
    readonly randomized: boolean;
    readonly bootstrapNodes: { host: string; port: number }[];
    /** Adds a node to the routing table (pinged and kept if it answers). */
    addNode(node: { host: string; port: number }): void;
    /** Refreshes the routing table in the background. */
    refresh(): void;
    /** Resolves if the node answers, rejects otherwise. */
    ping(node: { host: string; port: number }, options?: { size?: number }): Promise<unknown>;
    destroy(options?: { force?: boolean }): Promise<void>;
  }
}

declare module 'hyperdht/testnet.js' {
  import type HyperDHT from 'hyperdht';
  import type { HyperDHTOptions } from 'hyperdht';

  export interface Testnet {
    readonly nodes: HyperDHT[];
    /** Loopback addresses of the testnet's bootstrap node(s). */
    readonly bootstrap: { host: string; port: number }[];
    createNode(options?: HyperDHTOptions): HyperDHT;
    destroy(): Promise<void>;
  }

  export default function createTestnet(
    size?: number,
    options?: { host?: string; port?: number; bootstrap?: { host: string; port: number }[] },
  ): Promise<Testnet>;
}

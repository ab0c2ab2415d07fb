// Hand-written declarations for the parts of hyperswarm Agora uses (the package ships none).
declare module 'hyperswarm' {
  import { EventEmitter } from 'node:events';
  import type HyperDHT from 'hyperdht';
  import type { DhtKeyPair, DhtNodeAddress } from 'hyperdht';
  import type NoiseSecretStream from '@hyperswarm/secret-stream';

  export interface PeerInfo {
    readonly publicKey: Buffer;
    readonly banned: boolean;
    readonly explicit: boolean;
    readonly queued: boolean;
    /** Hyperswarm bans a peer its firewall refused; banned peers are never tried or accepted again. */
    ban(banned: boolean): void;
    shouldGC(): boolean;
  }

  export interface PeerDiscoverySession {
    /** Looks the topic up (and announces, for a server) again; resolves false if that failed. */
    refresh(options?: { server?: boolean; client?: boolean }): Promise<boolean>;
    destroy(): Promise<void>;
    /** Resolves once the current lookup/announce finished; false if it failed. */
    flushed(): Promise<boolean>;
  }

  export interface HyperswarmOptions {
    keyPair?: DhtKeyPair;
    /** Passed to HyperDHT: undefined means the public nodes, so Agora always sets it. */
    bootstrap?: DhtNodeAddress[];
    dht?: HyperDHT;
    /** Returns true to REJECT the remote key (hyperswarm's convention). */
    firewall?: (remotePublicKey: Buffer, payload: unknown) => boolean;
    maxPeers?: number;
    /** Which relays to use; `force` is true after a hole punch failed (both NATs symmetric, ...). */
    relayThrough?: (force: boolean, swarm: Hyperswarm) => Buffer | Buffer[] | null;
  }

  export default class Hyperswarm extends EventEmitter {
    constructor(options?: HyperswarmOptions);

    readonly dht: HyperDHT;
    readonly keyPair: DhtKeyPair;
    readonly destroyed: boolean;
    readonly connections: Set<NoiseSecretStream>;
    /** Known peers by hex public key. */
    readonly peers: Map<string, PeerInfo>;

    join(topic: Buffer, options?: { server?: boolean; client?: boolean }): PeerDiscoverySession;
    leave(topic: Buffer): Promise<void>;
    joinPeer(publicKey: Buffer): void;
    leavePeer(publicKey: Buffer): void;
    /** Announces our public key so that others can connect by key; resolves once announced. */
    listen(): Promise<unknown>;
    flush(): Promise<boolean>;
    destroy(options?: { force?: boolean }): Promise<void>;

    on(event: 'connection', listener: (conn: NoiseSecretStream, info: PeerInfo) => void): this;
    on(event: 'ban', listener: (info: PeerInfo, err: Error) => void): this;
    on(event: 'update', listener: () => void): this;
  }
}

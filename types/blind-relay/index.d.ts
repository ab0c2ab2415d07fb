// Hand-written declarations for the parts of blind-relay Agora uses (the package ships none).
declare module 'blind-relay' {
  import { EventEmitter } from 'node:events';

  export interface BlindRelaySession extends EventEmitter {
    end(): Promise<void>;
  }

  export class Server extends EventEmitter {
    constructor(options: { createStream(options: Record<string, unknown>): unknown });
    /** Serves the relay protocol (a protomux channel) on an authenticated stream. */
    accept(stream: unknown, options?: { id?: Buffer }): BlindRelaySession;
    close(): Promise<void>;
    readonly stats: {
      sessions: { active: number; accepted: number };
      pairings: { active: number; matched: number; pending: number };
      streams: { active: number; opened: number };
    };
  }
}

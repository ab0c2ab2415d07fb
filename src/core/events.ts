import { EventEmitter } from 'node:events';

/** Everything the node tells its API clients about, as it happens. */
export interface NodeEvents {
  'space.changed': { spaceId: string };
  'member.online': { spaceIds: string[]; deviceId: string; name: string };
  'member.offline': { spaceIds: string[]; deviceId: string; name: string };
  'peer.connected': { deviceId: string; transport: string; direct: boolean };
  'peer.disconnected': { deviceId: string };
  'dht.status': { status: 'online' | 'offline' | 'disabled' };
}

export type NodeEventName = keyof NodeEvents;

export class EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // API clients subscribe freely (one per WebSocket); the default of 10 would warn.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends NodeEventName>(type: K, data: NodeEvents[K]): void {
    this.emitter.emit(type, data);
    this.emitter.emit('*', type, data);
  }

  on<K extends NodeEventName>(type: K, listener: (data: NodeEvents[K]) => void): () => void {
    this.emitter.on(type, listener);
    return () => this.emitter.off(type, listener);
  }

  onAny(listener: (type: NodeEventName, data: NodeEvents[NodeEventName]) => void): () => void {
    this.emitter.on('*', listener);
    return () => this.emitter.off('*', listener);
  }
}

import { EventEmitter } from 'node:events';

/** Everything the node tells its API clients about, as it happens. */
export interface NodeEvents {
  'space.changed': { spaceId: string };
  'member.online': { spaceIds: string[]; deviceId: string; name: string };
  'member.offline': { spaceIds: string[]; deviceId: string; name: string };
  'peer.connected': { deviceId: string; transport: string; direct: boolean };
  'peer.disconnected': { deviceId: string };
  'dht.status': { status: 'online' | 'offline' | 'disabled' };
  'folder.added': { folderId: string; spaceId: string };
  'folder.removed': { folderId: string; spaceId: string };
  'folder.state': { folderId: string; state: string; error: string | null };
  /** Throttled while work is under way (a few times a second at most). */
  'folder.progress': { folderId: string; files: number; bytes: number; totalFiles: number; totalBytes: number };
  'folder.conflict': { folderId: string; path: string; copy: string };
  /** A file arrived from a peer and is now on disk (or was deleted). */
  'folder.pulled': { folderId: string; path: string; deleted: boolean };
  /**
   * A chat message was stored (written here or received). `messageId` is the post it shows
   * as: the message itself, or the post an edit or delete is about.
   */
  'chat.message': { spaceId: string; channelId: string; messageId: string; kind: 'post' | 'edit' | 'delete'; author: string };
  'chat.presence': { deviceId: string; state: 'online' | 'away' };
  /** An attachment's bytes are now on this device. */
  'chat.attachment': { spaceId: string; attachmentId: string };
  /** A peer sent a block whose hash was wrong. */
  'sync.badBlock': { folderId: string; deviceId: string; path: string };
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

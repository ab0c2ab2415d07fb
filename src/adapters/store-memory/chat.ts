import type { AttachmentRecord, ChatPeerState, ChatRepo, StoredChatMessage } from '../../ports/store.js';
import { compareText } from '../../protocol/index.js';
import type { Journal } from './journal.js';

/**
 * The chat repository of the memory store, mirroring the SQLite adapter's (store-sqlite/chat.ts):
 * same seq numbering, same orders, and every write goes through the journal so transaction()
 * can undo it.
 */

/** One space's messages: ids in arrival order (seq n is `order[n - 1]`) and per channel. */
interface SpaceChat {
  order: string[];
  channels: Map<string, string[]>;
}

export interface MemoryChat {
  chat: ChatRepo;
  /** Forgets every chat record of a space (when the space itself is deleted). */
  deleteSpace(spaceId: string): void;
}

export function createMemoryChat(journal: Journal): MemoryChat {
  const messages = new Map<string, StoredChatMessage>();
  const spaces = new Map<string, SpaceChat>();
  const logIds = new Map<string, string>();
  const peerStates = new Map<string, Map<string, ChatPeerState>>();
  const readMarks = new Map<string, Map<string, number>>();
  const attachments = new Map<string, Map<string, AttachmentRecord>>();

  /** The inner map under `key`, created (undoably) on first write. */
  function inner<V>(outer: Map<string, Map<string, V>>, key: string): Map<string, V> {
    let map = outer.get(key);
    if (!map) {
      map = new Map();
      journal.set(outer, key, map);
    }
    return map;
  }

  /** Appends undoably, creating the list (undoably) on first write. */
  function push(lists: Map<string, string[]>, key: string, id: string): void {
    const list = lists.get(key);
    if (!list) return journal.set(lists, key, [id]);
    list.push(id);
    journal.record(() => list.pop());
  }

  const stored = (id: string): StoredChatMessage => messages.get(id) as StoredChatMessage;
  const channelMessages = (spaceId: string, channelId: string): StoredChatMessage[] =>
    (spaces.get(spaceId)?.channels.get(channelId) ?? []).map(stored);

  const chat: ChatRepo = {
    add: (m) => {
      if (messages.has(m.id)) return null;
      const message = copyMessage({ ...m, seq: (spaces.get(m.spaceId)?.order.length ?? 0) + 1 });
      return journal.run(() => {
        let space = spaces.get(m.spaceId);
        if (!space) journal.set(spaces, m.spaceId, (space = { order: [], channels: new Map() }));
        journal.set(messages, message.id, message);
        const { order } = space;
        order.push(message.id);
        journal.record(() => order.pop());
        push(space.channels, message.channelId, message.id);
        return message.seq;
      });
    },
    get: (id) => {
      const m = messages.get(id);
      return m && copyMessage(m);
    },
    has: (id) => messages.has(id),
    since: (spaceId, after, limit) => {
      // seq n sits at order[n - 1], so "seq > after" starts at index floor(after).
      const start = Math.max(0, Math.floor(after));
      const count = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Infinity;
      return (spaces.get(spaceId)?.order ?? []).slice(start, start + count).map((id) => copyMessage(stored(id)));
    },
    channel: (spaceId, channelId) =>
      channelMessages(spaceId, channelId)
        .sort((a, b) => a.lamport - b.lamport || a.time - b.time || compareText(a.id, b.id))
        .map(copyMessage),
    channelIds: (spaceId) => [...(spaces.get(spaceId)?.channels.keys() ?? [])],
    maxLamport: (spaceId, channelId) => {
      let max = 0;
      for (const m of channelMessages(spaceId, channelId)) max = Math.max(max, m.lamport);
      return max;
    },
    sequence: (spaceId) => spaces.get(spaceId)?.order.length ?? 0,
    countPostsSince: (spaceId, channelId, after, exclude) =>
      channelMessages(spaceId, channelId).filter((m) => m.seq > after && m.kind === 'post' && m.author !== exclude).length,
    attachmentChannels: (spaceId, attachmentId) => {
      const found = new Set<string>();
      for (const id of spaces.get(spaceId)?.order ?? []) {
        const m = stored(id);
        if (m.attachments.includes(attachmentId)) found.add(m.channelId);
      }
      return [...found].sort(compareText);
    },

    logId: (spaceId, fresh) => {
      if (!logIds.has(spaceId)) journal.set(logIds, spaceId, fresh);
      return logIds.get(spaceId) as string;
    },
    peerState: (spaceId, peer) => {
      const state = peerStates.get(spaceId)?.get(peer);
      return state && { logId: state.logId, seq: state.seq };
    },
    setPeerState: (spaceId, peer, state) => journal.set(inner(peerStates, spaceId), peer, { logId: state.logId, seq: state.seq }),
    readMark: (spaceId, channelId) => readMarks.get(spaceId)?.get(channelId) ?? 0,
    setReadMark: (spaceId, channelId, seq) => journal.set(inner(readMarks, spaceId), channelId, seq),

    putAttachment: (a) => journal.set(inner(attachments, a.spaceId), a.attachmentId, copyAttachment(a)),
    getAttachment: (spaceId, attachmentId) => {
      const a = attachments.get(spaceId)?.get(attachmentId);
      return a && copyAttachment(a);
    },
  };

  const deleteSpace = (spaceId: string): void =>
    journal.run(() => {
      for (const id of spaces.get(spaceId)?.order ?? []) journal.delete(messages, id);
      journal.delete(spaces, spaceId);
      journal.delete(logIds, spaceId);
      journal.delete(peerStates, spaceId);
      journal.delete(readMarks, spaceId);
      journal.delete(attachments, spaceId);
    });

  return { chat, deleteSpace };
}

// Field by field, not spread: like a table row, a stored record keeps only the port's fields.
function copyMessage(m: StoredChatMessage): StoredChatMessage {
  return {
    id: m.id,
    spaceId: m.spaceId,
    channelId: m.channelId,
    author: m.author,
    lamport: m.lamport,
    time: m.time,
    kind: m.kind,
    target: m.target,
    attachments: [...m.attachments],
    bytes: Buffer.from(m.bytes),
    sig: Buffer.from(m.sig),
    via: m.via,
    seq: m.seq,
  };
}

function copyAttachment(a: AttachmentRecord): AttachmentRecord {
  return {
    attachmentId: a.attachmentId,
    spaceId: a.spaceId,
    name: a.name,
    size: a.size,
    manifest: a.manifest === null ? null : Buffer.from(a.manifest),
    complete: a.complete,
  };
}

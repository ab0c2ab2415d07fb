import type Database from 'better-sqlite3';
import type { AttachmentRecord, ChatPeerState, ChatRepo, StoredChatMessage } from '../../ports/store.js';

interface MessageRow {
  id: string;
  space_id: string;
  seq: number;
  channel_id: string;
  author: string;
  lamport: number;
  time: number;
  kind: StoredChatMessage['kind'];
  target: string | null;
  attachments: string;
  via: string;
  bytes: Buffer;
  sig: Buffer;
}

interface AttachmentRow {
  space_id: string;
  attachment_id: string;
  name: string;
  size: number;
  complete: number;
  manifest: Buffer | null;
}

const columns = 'id, space_id, seq, channel_id, author, lamport, time, kind, target, attachments, via, bytes, sig';

function fromRow(r: MessageRow): StoredChatMessage {
  return {
    id: r.id,
    spaceId: r.space_id,
    channelId: r.channel_id,
    author: r.author,
    lamport: r.lamport,
    time: r.time,
    kind: r.kind,
    target: r.target,
    attachments: JSON.parse(r.attachments) as string[],
    bytes: r.bytes,
    sig: r.sig,
    via: r.via,
    seq: r.seq,
  };
}

function fromAttachmentRow(r: AttachmentRow): AttachmentRecord {
  return {
    attachmentId: r.attachment_id,
    spaceId: r.space_id,
    name: r.name,
    size: r.size,
    manifest: r.manifest,
    complete: r.complete !== 0,
  };
}

export interface SqliteChatRepo extends ChatRepo {
  /** Forgets every chat row of a space (when the space itself is deleted). */
  deleteSpace(spaceId: string): void;
}

type MessageValues = [string, string, number, string, string, number, number, string, string | null, string, string, Buffer, Buffer];

export function createChatRepo(db: Database.Database): SqliteChatRepo {
  const has = db.prepare<[string], number>('SELECT 1 FROM chat_messages WHERE id = ?').pluck();
  const sequence = db.prepare<[string], number>('SELECT coalesce(max(seq), 0) FROM chat_messages WHERE space_id = ?').pluck();
  const insert = db.prepare<MessageValues>(`INSERT INTO chat_messages (${columns}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  // A post may name the same attachment twice; one row per (attachment, message) is enough.
  const insertAttachment = db.prepare<[string, string, string]>(
    'INSERT INTO chat_message_attachments (space_id, attachment_id, message_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const get = db.prepare<[string], MessageRow>(`SELECT ${columns} FROM chat_messages WHERE id = ?`);
  const since = db.prepare<[string, number, number], MessageRow>(
    `SELECT ${columns} FROM chat_messages WHERE space_id = ? AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const channel = db.prepare<[string, string], MessageRow>(
    `SELECT ${columns} FROM chat_messages WHERE space_id = ? AND channel_id = ? ORDER BY lamport, time, id`,
  );
  const channelIds = db.prepare<[string], string>('SELECT DISTINCT channel_id FROM chat_messages WHERE space_id = ?').pluck();
  const maxLamport = db
    .prepare<[string, string], number>('SELECT coalesce(max(lamport), 0) FROM chat_messages WHERE space_id = ? AND channel_id = ?')
    .pluck();
  const countPostsSince = db
    .prepare<[string, string, number, string], number>(
      `SELECT count(*) FROM chat_messages
       WHERE space_id = ? AND channel_id = ? AND seq > ? AND kind = 'post' AND author <> ?`,
    )
    .pluck();
  const attachmentChannels = db
    .prepare<[string, string], string>(
      `SELECT DISTINCT m.channel_id FROM chat_message_attachments a JOIN chat_messages m ON m.id = a.message_id
       WHERE a.space_id = ? AND a.attachment_id = ? ORDER BY m.channel_id`,
    )
    .pluck();

  const insertLogId = db.prepare<[string, string]>('INSERT INTO chat_logs (space_id, log_id) VALUES (?, ?) ON CONFLICT DO NOTHING');
  const getLogId = db.prepare<[string], string>('SELECT log_id FROM chat_logs WHERE space_id = ?').pluck();
  const peerState = db.prepare<[string, string], ChatPeerState>('SELECT log_id AS logId, seq FROM chat_peers WHERE space_id = ? AND peer = ?');
  const setPeerState = db.prepare<[string, string, string, number]>(
    `INSERT INTO chat_peers (space_id, peer, log_id, seq) VALUES (?, ?, ?, ?)
     ON CONFLICT (space_id, peer) DO UPDATE SET log_id = excluded.log_id, seq = excluded.seq`,
  );
  const readMark = db.prepare<[string, string], number>('SELECT seq FROM chat_read_marks WHERE space_id = ? AND channel_id = ?').pluck();
  const setReadMark = db.prepare<[string, string, number]>(
    `INSERT INTO chat_read_marks (space_id, channel_id, seq) VALUES (?, ?, ?)
     ON CONFLICT (space_id, channel_id) DO UPDATE SET seq = excluded.seq`,
  );
  const putAttachment = db.prepare<[string, string, string, number, number, Buffer | null]>(
    `INSERT INTO chat_attachments (space_id, attachment_id, name, size, complete, manifest) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT (space_id, attachment_id) DO UPDATE SET
       name = excluded.name, size = excluded.size, complete = excluded.complete, manifest = excluded.manifest`,
  );
  const getAttachment = db.prepare<[string, string], AttachmentRow>(
    'SELECT space_id, attachment_id, name, size, complete, manifest FROM chat_attachments WHERE space_id = ? AND attachment_id = ?',
  );

  const deleteSpace = ['chat_messages', 'chat_message_attachments', 'chat_logs', 'chat_peers', 'chat_read_marks', 'chat_attachments'].map((table) =>
    db.prepare<[string]>(`DELETE FROM ${table} WHERE space_id = ?`),
  );

  // The seq is read and used in one transaction, so two adds never get the same number.
  const add = db.transaction((m: Omit<StoredChatMessage, 'seq'>): number | null => {
    if (has.get(m.id) !== undefined) return null;
    const seq = (sequence.get(m.spaceId) ?? 0) + 1;
    insert.run(m.id, m.spaceId, seq, m.channelId, m.author, m.lamport, m.time, m.kind, m.target, JSON.stringify(m.attachments), m.via, m.bytes, m.sig);
    for (const attachmentId of m.attachments) insertAttachment.run(m.spaceId, attachmentId, m.id);
    return seq;
  });

  const logId = db.transaction((spaceId: string, fresh: string): string => {
    insertLogId.run(spaceId, fresh);
    return getLogId.get(spaceId) as string;
  });

  return {
    add: (m) => add(m),
    get: (id) => {
      const row = get.get(id);
      return row && fromRow(row);
    },
    has: (id) => has.get(id) !== undefined,
    since: (spaceId, after, limit) => since.all(spaceId, after, rowLimit(limit)).map(fromRow),
    channel: (spaceId, channelId) => channel.all(spaceId, channelId).map(fromRow),
    channelIds: (spaceId) => channelIds.all(spaceId),
    maxLamport: (spaceId, channelId) => maxLamport.get(spaceId, channelId) ?? 0,
    sequence: (spaceId) => sequence.get(spaceId) ?? 0,
    countPostsSince: (spaceId, channelId, after, exclude) => countPostsSince.get(spaceId, channelId, after, exclude) ?? 0,
    attachmentChannels: (spaceId, attachmentId) => attachmentChannels.all(spaceId, attachmentId),

    logId: (spaceId, fresh) => logId(spaceId, fresh),
    peerState: (spaceId, peer) => {
      const row = peerState.get(spaceId, peer);
      return row && { logId: row.logId, seq: row.seq };
    },
    setPeerState: (spaceId, peer, state) => void setPeerState.run(spaceId, peer, state.logId, state.seq),
    readMark: (spaceId, channelId) => readMark.get(spaceId, channelId) ?? 0,
    setReadMark: (spaceId, channelId, seq) => void setReadMark.run(spaceId, channelId, seq),

    putAttachment: (a) => void putAttachment.run(a.spaceId, a.attachmentId, a.name, a.size, a.complete ? 1 : 0, a.manifest),
    getAttachment: (spaceId, attachmentId) => {
      const row = getAttachment.get(spaceId, attachmentId);
      return row && fromAttachmentRow(row);
    },

    deleteSpace: (spaceId) => {
      for (const stmt of deleteSpace) stmt.run(spaceId);
    },
  };
}

/** As in index-repo.ts: SQLite reads a negative LIMIT as "no limit" and refuses a fractional one. */
function rowLimit(limit: number): number {
  return Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : Number.MAX_SAFE_INTEGER;
}

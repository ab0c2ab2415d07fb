import { decodeChatMessage, type AttachmentRef, type ChatBody } from '../../protocol/index.js';
import type { StoredChatMessage } from '../../ports/store.js';

/** A message as readers see it: a post with its latest edit applied, or the fact that it was deleted. */
export interface ChatMessageView {
  messageId: string;
  spaceId: string;
  channelId: string;
  author: string;
  text: string;
  mentions: string[];
  attachments: AttachmentRef[];
  /** Author's clock (ms). */
  sentAt: number;
  /** When its author last edited it (author's clock, ms), or null. */
  editedAt: number | null;
  deleted: boolean;
  /** Sort key within the channel (with sentAt and the id): causal order. */
  lamport: number;
  /** Arrival order on this device. */
  seq: number;
}

function body(m: StoredChatMessage): ChatBody {
  return decodeChatMessage({ bytes: m.bytes, sig: m.sig }).content.body;
}

/**
 * Folds a channel's messages (in channel order: lamport, time, id) into what readers see.
 * An edit or delete counts only when its author wrote the target; one whose target has
 * not arrived yet waits (it is applied once the target is here, whatever the order).
 */
export function foldChannel(messages: readonly StoredChatMessage[]): ChatMessageView[] {
  const posts = new Map<string, ChatMessageView>();
  const order: ChatMessageView[] = [];
  for (const m of messages) {
    if (m.kind !== 'post') continue;
    const b = body(m);
    if (b.type !== 'post') continue;
    const view: ChatMessageView = {
      messageId: m.id,
      spaceId: m.spaceId,
      channelId: m.channelId,
      author: m.author,
      text: b.text,
      mentions: b.mentions,
      attachments: b.attachments,
      sentAt: m.time,
      editedAt: null,
      deleted: false,
      lamport: m.lamport,
      seq: m.seq,
    };
    posts.set(m.id, view);
    order.push(view);
  }
  for (const m of messages) {
    if (m.kind === 'post' || m.target === null) continue;
    const target = posts.get(m.target);
    if (!target || target.author !== m.author || target.deleted) continue;
    const b = body(m);
    if (b.type === 'delete') {
      Object.assign(target, { deleted: true, text: '', mentions: [], attachments: [], editedAt: m.time });
    } else if (b.type === 'edit') {
      Object.assign(target, { text: b.text, mentions: b.mentions, editedAt: m.time });
    }
  }
  return order;
}

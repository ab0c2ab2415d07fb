import type { ChannelSummary, ChatMessage, Space } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { formatBytes } from './folder-view.js';
import { UsageError } from './output.js';

/**
 * Pure helpers of the chat commands: which conversation the options name, and how messages
 * and channels read on a terminal. No I/O here (test/unit/cli-chat.test.ts).
 */

export type ChatTarget = { channel: string } | { to: string };

/** Exactly one of --channel and the member option (--to when sending, --with when reading). */
export function chatTarget(channel: string | undefined, member: string | undefined, memberOption: '--to' | '--with'): { channel?: string; member?: string } {
  if (channel !== undefined && member !== undefined) throw new UsageError(`give either --channel or ${memberOption}, not both`);
  if (channel === undefined && member === undefined) throw new UsageError(`say where: --channel NAME, or ${memberOption} MEMBER for a direct conversation`);
  return channel !== undefined ? { channel } : { member: member! };
}

/** Local time, to the minute: 2025-05-01 14:03. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}`;
}

/**
 * A message as terminal lines: time, short id (what edit, delete and --since take), author and
 * text, marked [edited] or [deleted]; then one line per attachment with its full id.
 * `withChannel` puts the conversation's name first (tail mixes them).
 */
export function messageLines(m: ChatMessage, withChannel = false): string[] {
  const head = `${formatTime(m.sentAt)}  ${withChannel ? `${channelLabel(m.channel)}  ` : ''}${m.messageId.slice(0, 12)}  ${m.authorName}:`;
  const indent = ' '.repeat(Math.min(head.length + 1, 40));
  if (m.deleted) return [`${head} [deleted]`];
  const [first = '', ...rest] = m.text.split('\n');
  const lines = [`${head} ${first}${m.editedAt !== null && rest.length === 0 ? ' [edited]' : ''}`.trimEnd()];
  rest.forEach((line, i) => lines.push(`${indent}${line}${m.editedAt !== null && i === rest.length - 1 ? ' [edited]' : ''}`.trimEnd()));
  for (const a of m.attachments) lines.push(`${indent}[file] ${a.name} (${formatBytes(a.size)}${a.available ? '' : ', not here yet'}) ${a.attachmentId}`);
  return lines;
}

/** `general` and other channels as #name; direct conversations are already @Name. */
export function channelLabel(name: string): string {
  return name.startsWith('@') || name.startsWith('#') ? name : `#${name}`;
}

const KIND: Record<ChannelSummary['kind'], string> = { general: 'everyone', channel: 'open', private: 'private', direct: 'direct' };

/** Rows of `agora chat channels`. */
export function channelRows(list: readonly ChannelSummary[]): string[][] {
  return list.map((c) => [channelLabel(c.name), KIND[c.kind], String(c.members), c.unread > 0 ? String(c.unread) : '-', c.lastMessageAt === null ? '-' : formatTime(c.lastMessageAt)]);
}

/** The space a reference names, the way the node resolves it: id, then unique name, then id prefix (6+). */
export function resolveSpace(spaces: readonly Space[], ref: string): Space {
  const exact = spaces.find((s) => s.spaceId === ref);
  if (exact) return exact;
  const byName = spaces.filter((s) => s.name === ref);
  const byPrefix = ref.length >= 6 ? spaces.filter((s) => s.spaceId.startsWith(ref.toLowerCase())) : [];
  const matches = byName.length > 0 ? byName : byPrefix;
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) throw new AgoraError('NOT_FOUND', `No space "${ref}" on this device. See the spaces with: agora space list`);
  throw new AgoraError('AMBIGUOUS', `Several spaces are called "${ref}"; name one by its id (agora space list shows the ids).`);
}

/** `chat presence` takes online or away. */
export function parsePresence(text: string): 'online' | 'away' {
  if (text === 'online' || text === 'away') return text;
  throw new UsageError(`presence is online or away (got "${text}"); offline is what others see when your node is not running`);
}

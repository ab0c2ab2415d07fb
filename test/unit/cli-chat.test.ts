import { describe, expect, it } from 'vitest';
import { channelLabel, channelRows, chatTarget, formatTime, messageLines, parsePresence, resolveSpace } from '../../src/cli/chat-view.js';
import { UsageError } from '../../src/cli/output.js';
import { fileNameOf } from '../../src/client/chat-client.js';
import type { ChannelSummary, ChatMessage, Space } from '../../src/contract/api.js';

const A = 'a'.repeat(64);
const ID = '0123456789ab'.padEnd(64, 'c');
const AT = new Date(2025, 4, 1, 14, 3).getTime();

const message = (over: Partial<ChatMessage> = {}): ChatMessage => ({
  messageId: ID,
  spaceId: 's'.repeat(64),
  channelId: 'general',
  channel: 'general',
  author: A,
  authorName: 'Alice',
  text: 'hello',
  mentions: [],
  mentionsMe: false,
  attachments: [],
  sentAt: AT,
  editedAt: null,
  deleted: false,
  ...over,
});

describe('chatTarget', () => {
  it('takes a channel or a member', () => {
    expect(chatTarget('general', undefined, '--to')).toEqual({ channel: 'general' });
    expect(chatTarget(undefined, 'Bob', '--with')).toEqual({ member: 'Bob' });
  });
  it('refuses both, naming the option', () => expect(() => chatTarget('general', 'Bob', '--with')).toThrow(/--channel or --with, not both/));
  it('refuses neither, saying what to give', () => expect(() => chatTarget(undefined, undefined, '--to')).toThrow(UsageError));
});

describe('messageLines', () => {
  it('time, short id, author and text', () => expect(messageLines(message())).toEqual([`2025-05-01 14:03  0123456789ab  Alice: hello`]));
  it('marks an edit at the end of the text', () => {
    expect(messageLines(message({ editedAt: AT + 1 }))[0]).toMatch(/Alice: hello \[edited\]$/);
    const lines = messageLines(message({ text: 'one\ntwo', editedAt: AT + 1 }));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/Alice: one$/);
    expect(lines[1]).toMatch(/^ +two \[edited\]$/);
  });
  it('a deleted message shows only that it was', () => expect(messageLines(message({ deleted: true, text: '' }))).toEqual([`2025-05-01 14:03  0123456789ab  Alice: [deleted]`]));
  it('attachments: name, size, whether here, full id', () => {
    const lines = messageLines(message({ text: '', attachments: [{ attachmentId: 'f'.repeat(64), name: 'plan.pdf', size: 3_000_000, available: false }] }));
    expect(lines[1]).toMatch(/^ +\[file\] plan\.pdf \(3\.0 MB, not here yet\) f{64}$/);
  });
  it('with the channel first for tail', () => expect(messageLines(message({ channel: '@Bob' }), true)[0]).toContain('14:03  @Bob  0123456789ab  Alice: hello'));
});

describe('channels', () => {
  it('labels: #name, @Name for direct ones', () => {
    expect(channelLabel('general')).toBe('#general');
    expect(channelLabel('@Bob')).toBe('@Bob');
  });
  it('rows', () => {
    const c: ChannelSummary = { channelId: 'general', name: 'general', kind: 'general', members: 3, memberIds: [], with: null, history: 'join', unread: 2, lastMessageAt: AT };
    expect(channelRows([c, { ...c, name: '@Bob', kind: 'direct', unread: 0, lastMessageAt: null }])).toEqual([
      ['#general', 'everyone', '3', '2', formatTime(AT)],
      ['@Bob', 'direct', '3', '-', '-'],
    ]);
  });
});

describe('resolveSpace', () => {
  const s = (spaceId: string, name: string): Space => ({ spaceId, name, role: 'admin', dir: '/x', members: 1 });
  const spaces = [s('abcdef'.padEnd(64, '0'), 'Acme'), s('abc999'.padEnd(64, '0'), 'Beta'), s('fff000'.padEnd(64, '0'), 'Beta')];
  it('by id, name or prefix of 6+', () => {
    expect(resolveSpace(spaces, spaces[0]!.spaceId).name).toBe('Acme');
    expect(resolveSpace(spaces, 'Acme').spaceId).toBe(spaces[0]!.spaceId);
    expect(resolveSpace(spaces, 'ABCDEF').name).toBe('Acme');
  });
  it('unknown, short and ambiguous references are refused', () => {
    expect(() => resolveSpace(spaces, 'abc')).toThrow(/No space "abc"/);
    expect(() => resolveSpace(spaces, 'Beta')).toThrow(/Several spaces/);
  });
});

describe('small parsers', () => {
  it('presence is online or away', () => {
    expect(parsePresence('away')).toBe('away');
    expect(() => parsePresence('offline')).toThrow(UsageError);
  });
  it('the file name of a download', () => {
    expect(fileNameOf(`attachment; filename*=UTF-8''report%201.pdf`)).toBe('report 1.pdf');
    expect(fileNameOf('attachment')).toBeNull();
    expect(fileNameOf(`attachment; filename*=UTF-8''%E0%A4%A`)).toBeNull();
  });
});

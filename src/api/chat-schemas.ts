/** JSON schemas of the chat routes (responses are serialized with them: every field is listed). */

const ref = (max = 200) => ({ type: 'string', minLength: 1, maxLength: max }) as const;

export const historyEnum = { type: 'string', enum: ['join', 'full'] } as const;

export const channelSchema = {
  type: 'object',
  properties: {
    channelId: { type: 'string' },
    name: { type: 'string' },
    kind: { type: 'string', enum: ['general', 'channel', 'private', 'direct'] },
    members: { type: 'integer' },
    memberIds: { type: 'array', items: { type: 'string' } },
    with: { type: ['string', 'null'] },
    history: historyEnum,
    unread: { type: 'integer' },
    lastMessageAt: { type: ['number', 'null'] },
  },
} as const;

const attachmentSchema = {
  type: 'object',
  properties: { attachmentId: { type: 'string' }, name: { type: 'string' }, size: { type: 'integer' }, available: { type: 'boolean' } },
} as const;

export const messageSchema = {
  type: 'object',
  properties: {
    messageId: { type: 'string' },
    spaceId: { type: 'string' },
    channelId: { type: 'string' },
    channel: { type: 'string' },
    author: { type: 'string' },
    authorName: { type: 'string' },
    text: { type: 'string' },
    mentions: { type: 'array', items: { type: 'string' } },
    mentionsMe: { type: 'boolean' },
    attachments: { type: 'array', items: attachmentSchema },
    sentAt: { type: 'number' },
    editedAt: { type: ['number', 'null'] },
    deleted: { type: 'boolean' },
  },
} as const;

/** What an upload answers and a post carries. */
export const uploadSchema = {
  type: 'object',
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{64}$' }, name: ref(255), size: { type: 'integer', minimum: 0 } },
  required: ['id', 'name', 'size'],
  additionalProperties: false,
} as const;

export const spaceParams = { type: 'object', properties: { space: ref() }, required: ['space'] } as const;
export const channelMemberParams = { type: 'object', properties: { space: ref(), channel: ref(), member: ref() }, required: ['space', 'channel', 'member'] } as const;
export const messageParams = { type: 'object', properties: { space: ref(), message: ref() }, required: ['space', 'message'] } as const;
export const attachmentParams = { type: 'object', properties: { space: ref(), attachment: ref() }, required: ['space', 'attachment'] } as const;

export const createChannelBody = {
  type: 'object',
  properties: { name: ref(100), members: { type: 'array', maxItems: 1000, items: ref() }, history: historyEnum },
  required: ['name'],
  additionalProperties: false,
} as const;

export const sendBody = {
  type: 'object',
  properties: {
    channel: ref(),
    to: ref(),
    // The node counts the bytes (16 KiB of UTF-8); this only stops absurd bodies early.
    text: { type: 'string', maxLength: 16 * 1024 },
    attachments: { type: 'array', maxItems: 10, items: uploadSchema },
  },
  required: ['text'],
  additionalProperties: false,
} as const;

export const readQuery = {
  type: 'object',
  properties: { channel: ref(), with: ref(), since: ref(), limit: { type: 'integer', minimum: 1, maximum: 100_000 }, markRead: { type: 'boolean' } },
  additionalProperties: false,
} as const;

export const oneMessageQuery = { type: 'object', properties: { channel: ref() }, additionalProperties: false } as const;

export const editBody = { type: 'object', properties: { text: { type: 'string', maxLength: 16 * 1024 } }, required: ['text'], additionalProperties: false } as const;

export const uploadQuery = { type: 'object', properties: { name: ref(255) }, required: ['name'], additionalProperties: false } as const;

export const presenceSchema = {
  type: 'object',
  properties: { state: { type: 'string', enum: ['online', 'away'] } },
  required: ['state'],
  additionalProperties: false,
} as const;

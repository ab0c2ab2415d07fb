import type { FastifyInstance } from 'fastify';
import type { ChannelSummary, ChatMessage, CreateChannelRequest, EditMessageRequest, ReadMessagesQuery, SendMessageRequest } from '../contract/api.js';
import { BadRequestError, NotFoundError } from '../errors/index.js';
import type { AgoraNode } from '../node/agora-node.js';
import type { ChatTargetRef } from '../node/space-chat.js';
import { registerChatFileRoutes } from './chat-file-routes.js';
import {
  channelMemberParams,
  channelSchema,
  createChannelBody,
  editBody,
  messageParams,
  messageSchema,
  oneMessageQuery,
  readQuery,
  sendBody,
  spaceParams,
} from './chat-schemas.js';

type SpaceParams = { space: string };
type MessageParams = { space: string; message: string };
type ChannelMemberParams = { space: string; channel: string; member: string };

/** Exactly one of a channel or a member (`with` when reading, `to` when sending). */
function targetOf(channel: string | undefined, member: string | undefined, memberKey: 'with' | 'to'): ChatTargetRef {
  if (channel !== undefined && member !== undefined) throw new BadRequestError(`Name either a channel or a member (${memberKey}), not both.`);
  if (channel !== undefined) return { channel };
  if (member !== undefined) return { with: member };
  throw new BadRequestError(`Name a channel, or a member (${memberKey}) for a direct conversation.`);
}

/** Chat: channels, messages (read, send, edit, delete). Attachments and presence: chat-file-routes.ts. */
export function registerChatRoutes(app: FastifyInstance, node: AgoraNode): void {
  app.get(
    '/api/v1/spaces/:space/chat/channels',
    {
      schema: {
        summary: 'Conversations this device may read: general (members), channels, private channels it is in, direct conversations',
        tags: ['chat'],
        params: spaceParams,
        response: { 200: { type: 'array', items: channelSchema } },
      },
    },
    async (req): Promise<ChannelSummary[]> => node.chat.channels((req.params as SpaceParams).space),
  );

  app.post(
    '/api/v1/spaces/:space/chat/channels',
    {
      schema: {
        summary: 'Create a channel (admins): open to every member, or private to the members named',
        tags: ['chat'],
        params: spaceParams,
        body: createChannelBody,
        response: { 201: channelSchema },
      },
    },
    async (req, reply): Promise<ChannelSummary> => {
      const body = req.body as CreateChannelRequest;
      const created = node.chat.createChannel((req.params as SpaceParams).space, body.name, body.members ?? [], body.history ?? 'join');
      reply.code(201);
      return created;
    },
  );

  for (const [method, inChannel] of [['PUT', true], ['DELETE', false]] as const) {
    app.route({
      method,
      url: '/api/v1/spaces/:space/chat/channels/:channel/members/:member',
      schema: {
        summary: inChannel ? 'Add a member to a private channel (admins)' : 'Take a member out of a private channel (admins)',
        tags: ['chat'],
        params: channelMemberParams,
        response: { 200: channelSchema },
      },
      handler: async (req): Promise<ChannelSummary> => {
        const { space, channel, member } = req.params as ChannelMemberParams;
        return node.chat.setChannelMember(space, channel, member, inChannel);
      },
    });
  }

  app.get(
    '/api/v1/spaces/:space/chat/messages',
    {
      schema: {
        summary: 'Messages of one conversation (channel, or with a member), oldest first; marks it read unless markRead=false',
        tags: ['chat'],
        params: spaceParams,
        querystring: readQuery,
        response: { 200: { type: 'array', items: messageSchema } },
      },
    },
    async (req): Promise<ChatMessage[]> => {
      const q = req.query as ReadMessagesQuery;
      const options = { ...(q.since === undefined ? {} : { since: q.since }), ...(q.limit === undefined ? {} : { limit: q.limit }), markRead: q.markRead !== false };
      return node.chat.read((req.params as SpaceParams).space, targetOf(q.channel, q.with, 'with'), options);
    },
  );

  app.post(
    '/api/v1/spaces/:space/chat/messages',
    {
      schema: {
        summary: 'Send a message to a channel or to one member (to); attachments are uploaded first',
        tags: ['chat'],
        params: spaceParams,
        body: sendBody,
        response: { 201: messageSchema },
      },
    },
    async (req, reply): Promise<ChatMessage> => {
      const space = (req.params as SpaceParams).space;
      const body = req.body as SendMessageRequest;
      const sent = node.chat.send(space, targetOf(body.channel, body.to, 'to'), body.text, body.attachments ?? []);
      reply.code(201);
      return sent;
    },
  );

  app.get(
    '/api/v1/spaces/:space/chat/messages/:message',
    {
      schema: {
        summary: 'One message as it reads now (by its full id), looked for in one conversation (channel) or in all',
        tags: ['chat'],
        params: messageParams,
        querystring: oneMessageQuery,
        response: { 200: messageSchema },
      },
    },
    async (req): Promise<ChatMessage> => {
      const { space, message } = req.params as MessageParams;
      const channel = (req.query as { channel?: string }).channel;
      const found = node.chat.get(space, message, channel);
      if (found) return found;
      throw new NotFoundError(`No message ${message} that you can read${channel === undefined ? '' : ` in ${channel}`}.`);
    },
  );

  app.patch(
    '/api/v1/spaces/:space/chat/messages/:message',
    {
      schema: {
        summary: 'Edit one of your own messages (id or prefix); readers see that it was edited',
        tags: ['chat'],
        params: messageParams,
        body: editBody,
        response: { 200: messageSchema },
      },
    },
    async (req): Promise<ChatMessage> => {
      const { space, message } = req.params as MessageParams;
      const { text } = req.body as EditMessageRequest;
      return node.chat.edit(space, message, text);
    },
  );

  app.delete(
    '/api/v1/spaces/:space/chat/messages/:message',
    {
      schema: {
        summary: 'Delete one of your own messages (id or prefix); readers see that it was deleted',
        tags: ['chat'],
        params: messageParams,
        response: { 200: messageSchema },
      },
    },
    async (req): Promise<ChatMessage> => {
      const { space, message } = req.params as MessageParams;
      return node.chat.remove(space, message);
    },
  );

  registerChatFileRoutes(app, node);
}


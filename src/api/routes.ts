import type {} from '@fastify/swagger';
import type { FastifyInstance } from 'fastify';
import type {
  CreateSpaceRequest,
  InviteRequest,
  InviteResponse,
  JoinRequest,
  Member,
  DoctorReport,
  Peer,
  Space,
  StatusResponse,
} from '../contract/api.js';
import { BadRequestError } from '../errors/index.js';
import type { AgoraNode } from '../node/agora-node.js';
import { registerAccessRoutes } from './access-routes.js';
import { registerChatRoutes } from './chat-routes.js';
import { registerFolderRoutes } from './folder-routes.js';
import { memberSchema } from './schemas.js';

const spaceSchema = {
  type: 'object',
  properties: {
    spaceId: { type: 'string' },
    name: { type: 'string' },
    role: { type: ['string', 'null'] },
    dir: { type: 'string' },
    members: { type: 'integer' },
  },
} as const;

const inviteSchema = {
  type: 'object',
  properties: {
    spaceId: { type: 'string' },
    inviteId: { type: 'string' },
    code: { type: 'string' },
    link: { type: 'string' },
    role: { type: 'string' },
    expiresAt: { type: 'string' },
    uses: { type: 'integer' },
    grants: {
      type: 'array',
      items: { type: 'object', properties: { folderId: { type: 'string' }, name: { type: ['string', 'null'] }, access: { type: 'string' } } },
    },
  },
} as const;

const peerSchema = {
  type: 'object',
  properties: {
    deviceId: { type: 'string' },
    name: { type: 'string' },
    connected: { type: 'boolean' },
    direct: { type: 'boolean' },
    transport: { type: ['string', 'null'] },
    address: { type: ['string', 'null'] },
    rttMs: { type: ['number', 'null'] },
  },
} as const;

const spaceParam = { type: 'object', properties: { space: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['space'] } as const;

export function registerRoutes(app: FastifyInstance, node: AgoraNode, apiUrl: () => string, requestStop: () => void): void {
  app.get('/api/v1/status', { schema: { summary: 'Node status', tags: ['node'] } }, async (): Promise<StatusResponse> => ({
    ...node.status(),
    api: apiUrl(),
  }));

  app.post(
    '/api/v1/node/name',
    { schema: { summary: 'Set this device\'s display name', tags: ['node'], body: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } },
    async (req) => {
      node.setName((req.body as { name: string }).name);
      return { name: node.displayName };
    },
  );

  app.post('/api/v1/node/stop', { schema: { summary: 'Stop the node', tags: ['node'] } }, async () => {
    setImmediate(requestStop);
    return { stopping: true };
  });

  app.get('/api/v1/spaces', { schema: { summary: 'Spaces of this device', tags: ['spaces'], response: { 200: { type: 'array', items: spaceSchema } } } }, async (): Promise<Space[]> =>
    node.listSpaces(),
  );

  app.post(
    '/api/v1/spaces',
    {
      schema: {
        summary: 'Create a space',
        tags: ['spaces'],
        body: { type: 'object', properties: { name: { type: 'string' }, dir: { type: 'string' } }, required: ['name'], additionalProperties: false },
        response: { 201: spaceSchema },
      },
    },
    async (req, reply): Promise<Space> => {
      const body = req.body as CreateSpaceRequest;
      reply.code(201);
      return node.createSpace(body.name, body.dir);
    },
  );

  app.get(
    '/api/v1/spaces/:space/members',
    { schema: { summary: 'Members of a space, with their chat presence', tags: ['spaces'], params: spaceParam, response: { 200: { type: 'array', items: memberSchema } } } },
    async (req): Promise<Member[]> => node.members((req.params as { space: string }).space).map((m) => ({ ...m, presence: node.chat.presenceOf(m.memberId) })),
  );

  app.post(
    '/api/v1/spaces/:space/invites',
    {
      schema: {
        summary: 'Create an invite',
        tags: ['spaces'],
        params: spaceParam,
        body: {
          type: 'object',
          properties: {
            role: { type: 'string', enum: ['admin', 'member', 'guest', 'keeper'] },
            expiresIn: { type: 'integer', minimum: 1 },
            uses: { type: 'integer', minimum: 1 },
            grants: {
              type: 'array',
              maxItems: 1000,
              items: {
                type: 'object',
                properties: { folder: { type: 'string', minLength: 1, maxLength: 1000 }, access: { type: 'string', enum: ['none', 'read', 'write'] } },
                required: ['folder', 'access'],
                additionalProperties: false,
              },
            },
          },
          additionalProperties: false,
        },
        response: { 201: inviteSchema },
      },
    },
    async (req, reply): Promise<InviteResponse> => {
      const body = (req.body ?? {}) as InviteRequest;
      const created = node.invite((req.params as { space: string }).space, {
        role: body.role ?? 'member',
        expiresInMs: (body.expiresIn ?? 7 * 24 * 3600) * 1000,
        uses: body.uses ?? 1,
        grants: body.grants ?? [],
      });
      reply.code(201);
      return { ...created, expiresAt: new Date(created.expiresAt).toISOString() };
    },
  );

  app.post(
    '/api/v1/join',
    {
      schema: {
        summary: 'Join a space with an invite code or link',
        tags: ['spaces'],
        body: { type: 'object', properties: { code: { type: 'string', maxLength: 8192 }, dir: { type: 'string' } }, required: ['code'], additionalProperties: false },
      },
    },
    async (req): Promise<Space> => {
      const body = req.body as JoinRequest;
      if (body.dir !== undefined && body.dir.trim() === '') throw new BadRequestError('dir must not be empty');
      const abort = new AbortController();
      req.raw.on('close', () => {
        if (!req.raw.complete) abort.abort();
      });
      return node.join(body.code, body.dir, abort.signal);
    },
  );

  app.get('/api/v1/peers', { schema: { summary: 'Devices this node shares a space with', tags: ['peers'], response: { 200: { type: 'array', items: peerSchema } } } }, async (): Promise<Peer[]> =>
    node.peerList() as Peer[],
  );

  app.get('/api/v1/doctor', { schema: { summary: 'What this node sees of its network (NAT, DHT, keepers) and advice', tags: ['peers'] } }, async (req): Promise<DoctorReport> => {
    const abort = new AbortController();
    req.raw.on('close', () => abort.abort());
    return node.doctor(abort.signal);
  });

  registerFolderRoutes(app, node);
  registerAccessRoutes(app, node);
  registerChatRoutes(app, node);
}

import type { FastifyInstance } from 'fastify';
import type { AuditItem, AuditQuery, GrantRequest, GrantResponse, MemberAccess, RemovedMember, RevertResponse, SetRoleRequest, Member } from '../contract/api.js';
import type { AgoraNode } from '../node/agora-node.js';
import { memberSchema } from './schemas.js';

const accessEnum = { type: 'string', enum: ['none', 'read', 'write'] } as const;
/** A grant's access: for one member also `default` (its own grant goes; the role's default applies). */
const grantAccessEnum = { type: 'string', enum: ['none', 'read', 'write', 'default'] } as const;
const roleEnum = { type: 'string', enum: ['admin', 'member', 'guest', 'keeper'] } as const;
const folderAccessSchema = { type: 'object', properties: { members: accessEnum, guests: accessEnum } } as const;

const memberParams = {
  type: 'object',
  properties: { space: { type: 'string', minLength: 1, maxLength: 200 }, member: { type: 'string', minLength: 1, maxLength: 200 } },
  required: ['space', 'member'],
} as const;
const spaceParam = { type: 'object', properties: { space: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['space'] } as const;
/** A folder id, id prefix, name or "Space/Folder"; clients URL-encode it (it may hold a '/'). */
const folderParam = { type: 'object', properties: { folder: { type: 'string', minLength: 1, maxLength: 1000 } }, required: ['folder'] } as const;
/** Narrows a folder name to one space. */
const spaceQuery = { type: 'object', properties: { space: { type: 'string', minLength: 1, maxLength: 200 } }, additionalProperties: false } as const;

const removedMemberSchema = {
  type: 'object',
  properties: { ...memberSchema.properties, spaceId: { type: 'string' }, removed: { type: 'boolean' } },
} as const;

const grantResponseSchema = {
  type: 'object',
  properties: {
    spaceId: { type: 'string' },
    folderId: { type: 'string' },
    folderName: { type: ['string', 'null'] },
    to: { type: 'string' },
    toName: { type: ['string', 'null'] },
    access: grantAccessEnum,
  },
} as const;

const memberAccessSchema = {
  type: 'object',
  properties: { memberId: { type: 'string' }, name: { type: 'string' }, role: roleEnum, access: accessEnum },
} as const;

/**
 * One schema for both kinds of audit item (told apart by `type`): fastify's serializer keeps
 * only the listed properties, so every field of either kind is listed.
 */
const auditItemSchema = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    entryId: { type: 'string' },
    at: { type: 'number' },
    author: { type: 'string' },
    authorName: { type: ['string', 'null'] },
    applied: { type: 'boolean' },
    reason: { type: 'string' },
    member: { type: 'string' },
    memberName: { type: ['string', 'null'] },
    role: roleEnum,
    folderId: { type: 'string' },
    folderName: { type: ['string', 'null'] },
    access: { anyOf: [grantAccessEnum, folderAccessSchema] },
    to: { type: 'string' },
    spaceName: { type: 'string' },
    channelId: { type: 'string' },
    channelName: { type: ['string', 'null'] },
    in: { type: 'boolean' },
    addresses: { type: 'array', items: { type: 'string' } },
    path: { type: 'string' },
    by: { type: ['string', 'null'] },
    byName: { type: ['string', 'null'] },
    deleted: { type: 'boolean' },
    size: { type: 'number' },
    signed: { type: 'boolean' },
    recordedAt: { type: 'number' },
  },
} as const;

/** Narrows the file changes of an audit: one folder, the newest `limit` (see AuditQuery). */
const auditQuery = {
  type: 'object',
  properties: {
    folder: { type: 'string', minLength: 1, maxLength: 1000 },
    limit: { type: 'integer', minimum: 0, maximum: 100_000, default: 1000 },
  },
  additionalProperties: false,
} as const;

type FolderParams = { folder: string };
type MemberParams = { space: string; member: string };

/** Roles, removals, folder grants, effective access, the audit log and revert. */
export function registerAccessRoutes(app: FastifyInstance, node: AgoraNode): void {
  app.post(
    '/api/v1/spaces/:space/members/:member/role',
    {
      schema: {
        summary: "Change a member's role (admins); the last admin cannot be demoted",
        tags: ['spaces'],
        params: memberParams,
        body: { type: 'object', properties: { role: { type: 'string', enum: ['admin', 'member', 'guest'] } }, required: ['role'], additionalProperties: false },
        response: { 200: memberSchema },
      },
    },
    async (req): Promise<Member> => {
      const { space, member } = req.params as MemberParams;
      return node.setRole(space, member, (req.body as SetRoleRequest).role);
    },
  );

  app.delete(
    '/api/v1/spaces/:space/members/:member',
    {
      schema: {
        summary: 'Remove a member from the space (admins); it is disconnected and gets nothing new, but keeps its copies',
        tags: ['spaces'],
        params: memberParams,
        response: { 200: removedMemberSchema },
      },
    },
    async (req): Promise<RemovedMember> => {
      const { space, member } = req.params as MemberParams;
      return node.removeMember(space, member);
    },
  );

  app.get(
    '/api/v1/spaces/:space/audit',
    {
      schema: {
        summary:
          'Signed history of the space (log entries in replay order), then the newest file changes (every version this device recorded, `limit` of them, default 1000), oldest first',
        tags: ['spaces'],
        params: spaceParam,
        querystring: auditQuery,
        response: { 200: { type: 'array', items: auditItemSchema } },
      },
    },
    async (req): Promise<AuditItem[]> => {
      const { folder, limit } = req.query as AuditQuery;
      return node.audit((req.params as { space: string }).space, { folder, limit });
    },
  );

  app.post(
    '/api/v1/folders/:folder/grants',
    {
      schema: {
        summary: 'Set the access of a role (members, guests) or of one member to a folder (admins)',
        tags: ['folders'],
        params: folderParam,
        querystring: spaceQuery,
        body: {
          type: 'object',
          properties: { to: { type: 'string', minLength: 1, maxLength: 200 }, access: grantAccessEnum },
          required: ['to', 'access'],
          additionalProperties: false,
        },
        response: { 201: grantResponseSchema },
      },
    },
    async (req, reply): Promise<GrantResponse> => {
      const body = req.body as GrantRequest;
      const result = node.grant((req.params as FolderParams).folder, body.to, body.access, (req.query as { space?: string }).space);
      reply.code(201);
      return result;
    },
  );

  app.get(
    '/api/v1/folders/:folder/access',
    {
      schema: {
        summary: 'Effective access of every member this device may list',
        tags: ['folders'],
        params: folderParam,
        querystring: spaceQuery,
        response: { 200: { type: 'array', items: memberAccessSchema } },
      },
    },
    async (req): Promise<MemberAccess[]> => node.folderAccess((req.params as FolderParams).folder, (req.query as { space?: string }).space).members,
  );

  app.post(
    '/api/v1/folders/:folder/revert',
    {
      schema: {
        summary: 'Read-only folders: put the shared version back over local changes (they are kept in .agora/versions)',
        tags: ['folders'],
        params: folderParam,
        response: { 200: { type: 'object', properties: { folderId: { type: 'string' }, reverted: { type: 'integer' } } } },
      },
    },
    async (req): Promise<RevertResponse> => node.revert((req.params as FolderParams).folder),
  );
}

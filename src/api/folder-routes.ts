import type { FastifyInstance } from 'fastify';
import { isAbsolute } from 'node:path';
import type {
  AddFolderRequest,
  ConflictCopy,
  FileVersion,
  Folder,
  FolderState,
  FolderStatus,
  RestoreRequest,
  RestoreResponse,
} from '../contract/api.js';
import { BadRequestError } from '../errors/index.js';
import type { AgoraNode } from '../node/agora-node.js';
import type { FolderRecord, FolderSyncState } from '../ports/store.js';

const folderProperties = {
  folderId: { type: 'string' },
  spaceId: { type: 'string' },
  spaceName: { type: 'string' },
  name: { type: 'string' },
  path: { type: 'string' },
  state: { type: 'string', enum: ['idle', 'scanning', 'syncing', 'error', 'paused', 'stopped'] },
} as const;

const folderSchema = { type: 'object', properties: folderProperties } as const;

const folderStatusSchema = {
  type: 'object',
  properties: {
    ...folderProperties,
    error: { type: ['string', 'null'] },
    access: { type: 'string', enum: ['none', 'read', 'write'] },
    localChanges: { type: 'integer' },
    localFiles: { type: 'integer' },
    localBytes: { type: 'integer' },
    globalFiles: { type: 'integer' },
    globalBytes: { type: 'integer' },
    needFiles: { type: 'integer' },
    needBytes: { type: 'integer' },
    conflicts: { type: 'integer' },
    peers: {
      type: 'array',
      items: { type: 'object', properties: { deviceId: { type: 'string' }, connected: { type: 'boolean' }, inSync: { type: 'boolean' } } },
    },
    problems: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } } } },
    progress: {
      type: ['object', 'null'],
      properties: {
        files: { type: 'integer' },
        bytes: { type: 'integer' },
        totalFiles: { type: 'integer' },
        totalBytes: { type: 'integer' },
        rate: { type: 'number' },
        etaSeconds: { type: ['number', 'null'] },
      },
    },
    transfer: {
      type: ['object', 'null'],
      properties: { fetchedBytes: { type: 'integer' }, reusedBytes: { type: 'integer' } },
    },
    badPeers: {
      type: 'array',
      items: { type: 'object', properties: { deviceId: { type: 'string' }, blocks: { type: 'integer' } } },
    },
  },
} as const;

const conflictSchema = {
  type: 'object',
  properties: {
    folderId: { type: 'string' },
    spaceId: { type: 'string' },
    folder: { type: 'string' },
    path: { type: 'string' },
    original: { type: 'string' },
    device: { type: 'string' },
    time: { type: 'string' },
  },
} as const;

const versionSchema = {
  type: 'object',
  properties: { versionId: { type: 'string' }, size: { type: 'integer' }, mtime: { type: 'string' } },
} as const;

const spaceParam = { type: 'object', properties: { space: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['space'] } as const;
/** A folder id, id prefix or "Space/Folder"; clients URL-encode it (it may hold a '/'). */
const folderParam = { type: 'object', properties: { folder: { type: 'string', minLength: 1, maxLength: 1000 } }, required: ['folder'] } as const;
const spaceQuery = { type: 'object', properties: { space: { type: 'string', minLength: 1, maxLength: 200 } }, additionalProperties: false } as const;

type FolderParams = { folder: string };

/** Shared folders: add, list, status, pause/resume/remove, rescan, conflicts, versions and restore. */
export function registerFolderRoutes(app: FastifyInstance, node: AgoraNode): void {
  const spaceNames = () => new Map(node.listSpaces().map((s) => [s.spaceId, s.name]));

  /** The live state of a running folder; 'paused'/'stopped' by choice; 'error' if it should run but does not. */
  const liveState = (record: FolderRecord): FolderState => {
    if (record.state !== 'syncing') return record.state;
    return node.sync.sync(record.folderId)?.state ?? 'error';
  };

  const dto = (record: FolderRecord, names = spaceNames()): Folder => ({
    folderId: record.folderId,
    spaceId: record.spaceId,
    spaceName: names.get(record.spaceId) ?? record.spaceId,
    name: record.name,
    path: record.path,
    state: liveState(record),
  });

  const setState = (state: FolderSyncState) => async (req: { params: unknown }): Promise<Folder> =>
    dto(await node.sync.setState((req.params as FolderParams).folder, state));

  app.get(
    '/api/v1/spaces/:space/folders',
    { schema: { summary: 'Folders of a space on this device', tags: ['folders'], params: spaceParam, response: { 200: { type: 'array', items: folderSchema } } } },
    async (req): Promise<Folder[]> => {
      const names = spaceNames();
      return node.sync.list((req.params as { space: string }).space).map((f) => dto(f, names));
    },
  );

  app.post(
    '/api/v1/spaces/:space/folders',
    {
      schema: {
        summary: 'Share a directory as a new folder of the space',
        tags: ['folders'],
        params: spaceParam,
        body: {
          type: 'object',
          properties: {
            path: { type: 'string', minLength: 1, maxLength: 4096 },
            name: { type: 'string', minLength: 1, maxLength: 255 },
            access: {
              type: 'object',
              properties: { members: { type: 'string', enum: ['none', 'read', 'write'] }, guests: { type: 'string', enum: ['none', 'read', 'write'] } },
              additionalProperties: false,
            },
          },
          required: ['path'],
          additionalProperties: false,
        },
        response: { 201: folderSchema },
      },
    },
    async (req, reply): Promise<Folder> => {
      const body = req.body as AddFolderRequest;
      if (!isAbsolute(body.path)) throw new BadRequestError(`The folder path must be absolute (got "${body.path}").`);
      const record = await node.addFolder((req.params as { space: string }).space, body.path, body.name, body.access);
      reply.code(201);
      return dto(record);
    },
  );

  app.get(
    '/api/v1/folders',
    { schema: { summary: 'Folders on this device, of all spaces or of one', tags: ['folders'], querystring: spaceQuery, response: { 200: { type: 'array', items: folderSchema } } } },
    async (req): Promise<Folder[]> => {
      const names = spaceNames();
      return node.sync.list((req.query as { space?: string }).space).map((f) => dto(f, names));
    },
  );

  app.get(
    '/api/v1/folders/:folder',
    { schema: { summary: 'Status of a folder: state, counts, what it still needs, peers, progress', tags: ['folders'], params: folderParam, response: { 200: folderStatusSchema } } },
    async (req): Promise<FolderStatus> => {
      const { folder: record, state, ...rest } = node.sync.status((req.params as FolderParams).folder);
      return { ...dto(record), ...rest, state: record.state === 'syncing' ? state : record.state };
    },
  );

  for (const [action, state, summary] of [
    ['pause', 'paused', 'Pause syncing a folder'],
    ['resume', 'syncing', 'Resume syncing a paused or removed folder'],
    ['remove', 'stopped', 'Stop syncing a folder on this device; its files stay on disk'],
  ] as const) {
    app.post(
      `/api/v1/folders/:folder/${action}`,
      { schema: { summary, tags: ['folders'], params: folderParam, response: { 200: folderSchema } } },
      setState(state),
    );
  }

  app.post(
    '/api/v1/folders/:folder/rescan',
    { schema: { summary: 'Scan the whole folder for local changes now', tags: ['folders'], params: folderParam, response: { 202: folderSchema } } },
    async (req, reply): Promise<Folder> => {
      const ref = (req.params as FolderParams).folder;
      node.sync.rescan(ref);
      reply.code(202);
      return dto(node.sync.resolve(ref));
    },
  );

  app.get(
    '/api/v1/conflicts',
    { schema: { summary: 'Conflict copies in the folders of one space, or of all', tags: ['folders'], querystring: spaceQuery, response: { 200: { type: 'array', items: conflictSchema } } } },
    async (req): Promise<ConflictCopy[]> =>
      node.sync.conflicts((req.query as { space?: string }).space).map((c) => ({
        folderId: c.folderId,
        spaceId: c.spaceId,
        folder: c.folder,
        path: c.path,
        original: c.original,
        device: c.device,
        time: new Date(c.time).toISOString(),
      })),
  );

  app.get(
    '/api/v1/folders/:folder/versions',
    {
      schema: {
        summary: 'Kept versions of a file, newest first',
        tags: ['folders'],
        params: folderParam,
        querystring: { type: 'object', properties: { path: { type: 'string', minLength: 1, maxLength: 4096 } }, required: ['path'], additionalProperties: false },
        response: { 200: { type: 'array', items: versionSchema } },
      },
    },
    async (req): Promise<FileVersion[]> => {
      const versions = await node.sync.versions((req.params as FolderParams).folder, (req.query as { path: string }).path);
      return versions.map((v) => ({ versionId: v.versionId, size: v.size, mtime: new Date(v.mtimeMs).toISOString() }));
    },
  );

  app.post(
    '/api/v1/folders/:folder/restore',
    {
      schema: {
        summary: 'Put a kept version of a file back in place (the current one is kept as a version)',
        tags: ['folders'],
        params: folderParam,
        body: {
          type: 'object',
          properties: { path: { type: 'string', minLength: 1, maxLength: 4096 }, versionId: { type: 'string', minLength: 1, maxLength: 64 } },
          required: ['path', 'versionId'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { folderId: { type: 'string' }, path: { type: 'string' }, versionId: { type: 'string' } } } },
      },
    },
    async (req): Promise<RestoreResponse> => {
      const ref = (req.params as FolderParams).folder;
      const body = req.body as RestoreRequest;
      await node.sync.restore(ref, body.path, body.versionId);
      return { folderId: node.sync.resolve(ref).folderId, path: body.path, versionId: body.versionId };
    },
  );
}

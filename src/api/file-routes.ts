import type { FastifyInstance } from 'fastify';
import { Readable } from 'node:stream';
import type { DirListing, ResolveConflictRequest, ResolveConflictResponse, UploadResponse } from '../contract/api.js';
import { ForbiddenError } from '../errors/index.js';
import type { AgoraNode } from '../node/agora-node.js';
import { FolderFiles } from './folder-files.js';
import { limitBytes, uploadLimit } from './upload-limit.js';

const folderParam = { type: 'object', properties: { folder: { type: 'string', minLength: 1, maxLength: 1000 } }, required: ['folder'] } as const;
const pathQuery = (required: boolean) =>
  ({
    type: 'object',
    properties: { path: { type: 'string', maxLength: 4096 }, overwrite: { type: 'boolean' } },
    required: required ? ['path'] : [],
    additionalProperties: false,
  }) as const;

const entrySchema = {
  type: 'object',
  properties: { name: { type: 'string' }, path: { type: 'string' }, type: { type: 'string', enum: ['file', 'dir'] }, size: { type: 'integer' }, mtime: { type: 'string' } },
} as const;

type Params = { folder: string };

type PathQuery = { path?: string; overwrite?: boolean };

/** The files of a folder on this device: list a directory, download, upload, resolve conflicts. */
export function registerFileRoutes(app: FastifyInstance, node: AgoraNode): void {
  const filesOf = (ref: string) => {
    const record = node.sync.resolve(ref);
    return { record, files: new FolderFiles(record.path) };
  };
  const writable = (ref: string) => {
    const found = filesOf(ref);
    const access = node.sync.status(found.record.folderId).access;
    if (access !== 'write') {
      throw new ForbiddenError(`You may only read the folder "${found.record.name}": changes made here would not reach anyone. Ask an admin of the space for write access.`);
    }
    return found;
  };

  app.get(
    '/api/v1/folders/:folder/files',
    {
      schema: {
        summary: 'List one directory of a folder on this device ("" = the top)',
        tags: ['files'],
        params: folderParam,
        querystring: pathQuery(false),
        response: { 200: { type: 'object', properties: { folderId: { type: 'string' }, path: { type: 'string' }, entries: { type: 'array', items: entrySchema } } } },
      },
    },
    async (req): Promise<DirListing> => {
      const { record, files } = filesOf((req.params as Params).folder);
      const path = (req.query as PathQuery).path ?? '';
      return { folderId: record.folderId, path, entries: await files.list(path) };
    },
  );

  app.get(
    '/api/v1/folders/:folder/file',
    { schema: { summary: 'Download one file of a folder', tags: ['files'], params: folderParam, querystring: pathQuery(true) } },
    async (req, reply) => {
      const { files } = filesOf((req.params as Params).folder);
      const file = await files.open((req.query as PathQuery).path ?? '');
      // Always an attachment, never rendered: a shared HTML file must not run inside the app's origin.
      void reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'");
      return reply.send(file.stream);
    },
  );

  // Uploads arrive as raw bytes and are streamed to disk; no parser may buffer them.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.put(
      '/api/v1/folders/:folder/file',
      {
        schema: {
          summary: 'Upload one file into a folder (raw body; ?overwrite=true replaces an existing file)',
          tags: ['files'],
          params: folderParam,
          querystring: pathQuery(true),
          response: { 201: { type: 'object', properties: { folderId: { type: 'string' }, path: { type: 'string' }, size: { type: 'integer' } } } },
        },
      },
      async (req, reply): Promise<UploadResponse> => {
        const { record, files } = writable((req.params as Params).folder);
        const query = req.query as PathQuery;
        const limit = uploadLimit(node.settings.maxUploadBytes(), req.headers, 'copy the file into the folder on that computer');
        // The body is read through limitBytes, which drains it rather than destroy it when the file is refused.
        const body = Readable.from(limitBytes((req.body as Readable | undefined) ?? [], limit));
        const written = await files.write(query.path ?? '', body, query.overwrite === true);
        reply.code(201);
        return { folderId: record.folderId, ...written };
      },
    );
  });

  app.post(
    '/api/v1/folders/:folder/conflicts/resolve',
    {
      schema: {
        summary: 'Resolve a conflict copy: keep the original, keep the copy, or keep both under plain names',
        tags: ['files'],
        params: folderParam,
        body: {
          type: 'object',
          properties: { path: { type: 'string', minLength: 1, maxLength: 4096 }, keep: { type: 'string', enum: ['original', 'copy', 'both'] } },
          required: ['path', 'keep'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { folderId: { type: 'string' }, paths: { type: 'array', items: { type: 'string' } } } } },
      },
    },
    async (req): Promise<ResolveConflictResponse> => {
      const { record, files } = writable((req.params as Params).folder);
      const body = req.body as ResolveConflictRequest;
      return { folderId: record.folderId, paths: await files.resolveConflict(body.path, body.keep) };
    },
  );
}

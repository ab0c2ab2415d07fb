import type { FastifyInstance, FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import type { AttachmentUpload, PresenceRequest } from '../contract/api.js';
import type { AgoraNode } from '../node/agora-node.js';
import type { ReadHandle } from '../ports/fs.js';
import { attachmentParams, presenceSchema, spaceParams, uploadQuery, uploadSchema } from './chat-schemas.js';
import { limitBytes, uploadLimit } from './upload-limit.js';

const READ_CHUNK = 256 * 1024;

/** The attachment's bytes, read in chunks as the client takes them; the handle is closed at the end or on abort. */
async function* chunksOf(handle: ReadHandle, size: number): AsyncGenerator<Buffer> {
  try {
    for (let at = 0; at < size; ) {
      const buf = Buffer.allocUnsafe(Math.min(READ_CHUNK, size - at));
      const n = await handle.read(buf, 0, buf.length, at);
      if (n === 0) return;
      at += n;
      yield n === buf.length ? buf : buf.subarray(0, n);
    }
  } finally {
    await handle.close();
  }
}

/** Aborted when the client goes away before the answer is sent (a fetch from peers stops then). */
function abortOnHangUp(reply: FastifyReply): AbortSignal {
  const abort = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) abort.abort();
  });
  return abort.signal;
}

/** Chat attachments (upload streamed in, download streamed out) and this device's presence. */
export function registerChatFileRoutes(app: FastifyInstance, node: AgoraNode): void {
  // Uploads arrive as raw bytes and are streamed into the attachment store; no parser may buffer them.
  void app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
    scope.post(
      '/api/v1/spaces/:space/chat/attachments',
      {
        schema: {
          summary: 'Upload a file to send with a message (raw body); the answer goes into the message\'s attachments',
          tags: ['chat'],
          params: spaceParams,
          querystring: uploadQuery,
          response: { 201: uploadSchema },
        },
      },
      async (req, reply): Promise<AttachmentUpload> => {
        const limit = uploadLimit(node.settings.maxUploadBytes(), req.headers, 'share the file in a folder of the space');
        const body = (req.body as AsyncIterable<Uint8Array> | undefined) ?? [];
        const signal = abortOnHangUp(reply);
        const ref = await node.chat.importAttachment((req.params as { space: string }).space, (req.query as { name: string }).name, limitBytes(body, limit), signal);
        reply.code(201);
        return ref;
      },
    );
  });

  app.get(
    '/api/v1/spaces/:space/chat/attachments/:attachment',
    {
      schema: {
        summary: 'Download an attachment of a message you can read (fetched from peers first if it is not here yet)',
        tags: ['chat'],
        params: attachmentParams,
      },
    },
    async (req, reply) => {
      const { space, attachment } = req.params as { space: string; attachment: string };
      const file = await node.chat.openAttachment(space, attachment, abortOnHangUp(reply));
      // Always an attachment, never rendered: a received HTML file must not run inside the app's origin.
      void reply
        .header('content-type', 'application/octet-stream')
        .header('content-length', String(file.size))
        .header('content-disposition', `attachment; filename*=UTF-8''${encodeURIComponent(file.name)}`)
        .header('x-content-type-options', 'nosniff')
        .header('content-security-policy', "sandbox; default-src 'none'");
      return reply.send(Readable.from(chunksOf(file.handle, file.size)));
    },
  );

  app.get(
    '/api/v1/chat/presence',
    { schema: { summary: "This device's chat presence as its peers see it", tags: ['chat'], response: { 200: presenceSchema } } },
    async (): Promise<PresenceRequest> => ({ state: node.chat.presenceOf(node.deviceId) === 'away' ? 'away' : 'online' }),
  );

  app.put(
    '/api/v1/chat/presence',
    { schema: { summary: 'Set this device\'s chat presence: online or away (peers see offline when it is not connected)', tags: ['chat'], body: presenceSchema, response: { 200: presenceSchema } } },
    async (req): Promise<PresenceRequest> => {
      const { state } = req.body as PresenceRequest;
      node.chat.setPresence(state); // emits chat.presence for this device too
      return { state };
    },
  );
}

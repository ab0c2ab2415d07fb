import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger as PinoLogger } from 'pino';
import { API_PREFIX, type EventMessage } from '../contract/api.js';
import type { AgoraNode } from '../node/agora-node.js';
import { errorBody, httpStatus } from './http-errors.js';
import { registerRoutes } from './routes.js';
import { registerFileRoutes } from './file-routes.js';
import { createGuard } from './security.js';
import { registerSessionRoutes } from './session-routes.js';
import { registerSettingsRoutes } from './settings-routes.js';
import { SessionStore } from './sessions.js';
import { placeholderPage } from './web-placeholder.js';

/** `vite build` writes the web app here (dist/web, beside dist/api). */
const webRoot = fileURLToPath(new URL('../web/', import.meta.url));

export interface ApiServer {
  app: FastifyInstance;
  url: string;
  /** A one-time sign-in link for a browser (what `agora open` opens). */
  loginLink(): string;
  close(): Promise<void>;
}

/** Starts the local HTTP API (REST, OpenAPI, event WebSocket) and the web app on host:port. */
export async function startApiServer(options: {
  node: AgoraNode;
  host: string;
  port: number;
  token: string;
  logger: PinoLogger;
  requestStop: () => void;
}): Promise<ApiServer> {
  const app = Fastify({
    loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger,
    // Our own lines say what matters; one per request would drown them.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
  });
  let port = options.port;
  const url = () => `http://127.0.0.1:${port}`;

  app.setErrorHandler((err, request, reply) => {
    const status = httpStatus(err) === 500 && (err as { statusCode?: number }).statusCode === 400 ? 400 : httpStatus(err);
    if (status >= 500 && status !== 502 && status !== 504) request.log.error({ err }, 'request failed');
    // A refused upload whose body stream was destroyed takes the socket down after the answer: the client must not reuse it.
    if (!request.raw.complete && request.raw.destroyed) void reply.header('connection', 'close');
    void reply.code(status).send(errorBody(err));
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send({ error: { code: 'NOT_FOUND', message: `No such API route: ${request.method} ${request.url}` } });
  });

  await app.register(swagger, {
    openapi: {
      info: { title: 'Agora node API', version: 'v1', description: 'Local API of an Agora node. Bearer token from <home>/api-token.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  await app.register(websocket, {
    options: { maxPayload: 64 * 1024 },
    // On stop, drop event streams at once rather than wait for each client's close handshake
    // (a busy or gone client held `agora stop` for 15 s).
    preClose(done) {
      for (const client of app.websocketServer.clients) client.terminate();
      done();
    },
  });
  const sessions = new SessionStore();
  const guard = createGuard({ token: options.token, port: () => port, sessions });
  app.addHook('onRequest', guard.hook);
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/api/')) setPageHeaders(reply);
  });

  registerRoutes(app, options.node, url, options.requestStop);
  registerFileRoutes(app, options.node);
  registerSettingsRoutes(app, options.node);
  registerSessionRoutes(app, { sessions, guard, url, port: () => port });
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  app.get(`${API_PREFIX}/events`, { websocket: true, schema: { summary: 'Event stream (WebSocket)', tags: ['events'] } }, (socket) => {
    const send = (message: EventMessage) => socket.send(JSON.stringify(message));
    const unsubscribe = options.node.events.onAny((type, data) => send({ type, data, at: new Date().toISOString() }));
    // Activity items go out as they are recorded, so the app merges them by id with GET /activity.
    const unsubscribeActivity = options.node.activity.onItem((item) => send({ type: 'activity', data: item, at: item.at }));
    socket.on('close', () => {
      unsubscribe();
      unsubscribeActivity();
    });
    socket.send(JSON.stringify({ type: 'hello', data: options.node.status(), at: new Date().toISOString() }));
  });
  if (existsSync(webRoot + 'index.html')) {
    await app.register(fastifyStatic, { root: webRoot, index: 'index.html', wildcard: true, schemaHide: true });
  } else {
    app.get('/', { schema: { hide: true } }, async (_req, reply) => {
      void reply.type('text/html; charset=utf-8');
      return placeholderPage();
    });
  }

  await app.listen({ host: options.host, port: options.port });
  port = (app.server.address() as AddressInfo).port;
  return { app, url: url(), loginLink: () => `${url()}/login?token=${sessions.createLoginToken().token}`, close: () => app.close() };
}

/** The app runs only its own code, talks only to its own node, and is never framed (clickjacking). */
function setPageHeaders(reply: FastifyReply): void {
  // CSP3: 'self' covers the event WebSocket (ws: on the same host and port) too.
  void reply
    .header('content-security-policy', `default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'`)
    .header('x-frame-options', 'DENY')
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer');
}

import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger as PinoLogger } from 'pino';
import { API_PREFIX, type EventMessage } from '../contract/api.js';
import type { AgoraNode } from '../node/agora-node.js';
import { errorBody, httpStatus } from './http-errors.js';
import { registerRoutes } from './routes.js';
import { createGuard } from './security.js';
import { placeholderPage } from './web-placeholder.js';

export interface ApiServer {
  app: FastifyInstance;
  url: string;
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
  const app = Fastify({ loggerInstance: options.logger.child({ component: 'api' }) as FastifyBaseLogger, disableRequestLogging: true, bodyLimit: 1024 * 1024 });
  let port = options.port;
  const url = () => `http://127.0.0.1:${port}`;

  app.setErrorHandler((err, request, reply) => {
    const status = httpStatus(err) === 500 && (err as { statusCode?: number }).statusCode === 400 ? 400 : httpStatus(err);
    if (status >= 500 && status !== 502 && status !== 504) request.log.error({ err }, 'request failed');
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
  await app.register(websocket, { options: { maxPayload: 64 * 1024 } });
  app.addHook('onRequest', createGuard({ token: options.token, port: () => port }));

  registerRoutes(app, options.node, url, options.requestStop);
  app.get(`${API_PREFIX}/openapi.json`, { schema: { hide: true } }, async () => app.swagger());
  app.get(`${API_PREFIX}/events`, { websocket: true, schema: { summary: 'Event stream (WebSocket)', tags: ['events'] } }, (socket) => {
    const unsubscribe = options.node.events.onAny((type, data) => {
      const message: EventMessage = { type, data, at: new Date().toISOString() };
      socket.send(JSON.stringify(message));
    });
    socket.on('close', unsubscribe);
    socket.send(JSON.stringify({ type: 'hello', data: options.node.status(), at: new Date().toISOString() }));
  });
  app.get('/', { schema: { hide: true } }, async (_req, reply) => {
    void reply.type('text/html; charset=utf-8');
    return placeholderPage();
  });

  await app.listen({ host: options.host, port: options.port });
  port = (app.server.address() as AddressInfo).port;
  return { app, url: url(), close: () => app.close() };
}

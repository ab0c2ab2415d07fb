import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { readCookie, type SessionStore } from './sessions.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The local API answers only the local user: a bearer token from a 0600 file (the CLI, scripts)
 * or a browser session cookie (the web app, after a one-time login link), and a Host (and
 * Origin, when a browser sends one) naming this very API, which defeats DNS rebinding and
 * cross-site requests from web pages. A cookie rides along with any request the browser makes,
 * so a state-changing request carried by a cookie must also prove where it comes from with an
 * Origin header; SameSite=Strict already keeps the cookie off cross-site requests.
 */
export function createGuard(options: { token: string; port: () => number; sessions: SessionStore }) {
  const expected = Buffer.from(options.token);

  function allowedHost(host: string | undefined): boolean {
    if (!host) return false;
    const port = options.port();
    return [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`].includes(host.toLowerCase());
  }

  function allowedOrigin(origin: string | undefined): boolean {
    if (origin === undefined) return true;
    const port = options.port();
    return [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`].includes(origin.toLowerCase());
  }

  function viaBearer(request: FastifyRequest): boolean {
    const header = request.headers.authorization;
    if (!header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice('Bearer '.length).trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function sessionOf(request: FastifyRequest): string | undefined {
    return readCookie(request.headers.cookie, options.sessions.cookieName(options.port()));
  }

  function viaSession(request: FastifyRequest): boolean {
    if (!options.sessions.isSession(sessionOf(request))) return false;
    const isWebSocket = request.headers.upgrade?.toLowerCase() === 'websocket';
    return (SAFE_METHODS.has(request.method) && !isWebSocket) || request.headers.origin !== undefined;
  }

  async function hook(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!allowedHost(request.headers.host) || !allowedOrigin(request.headers.origin)) {
      await reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'This API answers only requests addressed to it from this computer.' } });
      return;
    }
    if (!request.url.startsWith('/api/')) return; // the web app's files and /login are public
    if (request.url === '/api/v1/openapi.json' || request.url === '/api/v1/session') return;
    if (viaBearer(request) || viaSession(request)) return;
    await reply.code(401).send({
      error: {
        code: 'UNAUTHORIZED',
        message: 'Not signed in. In a terminal, run: agora open (it opens this app with a one-time sign-in link). Scripts: use the token in the file api-token in the node home.',
      },
    });
  }

  return { hook, viaBearer, sessionOf };
}

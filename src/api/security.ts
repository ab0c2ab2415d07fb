import { timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The local API answers only the local user: a bearer token from a 0600 file, and a Host
 * (and Origin, when a browser sends one) naming this very API, which defeats DNS rebinding
 * and cross-site requests from web pages.
 */
export function createGuard(options: { token: string; port: () => number }) {
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

  function tokenMatches(header: string | undefined): boolean {
    if (!header?.startsWith('Bearer ')) return false;
    const given = Buffer.from(header.slice('Bearer '.length).trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  return async function guard(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    if (!allowedHost(request.headers.host) || !allowedOrigin(request.headers.origin)) {
      await reply.code(403).send({ error: { code: 'FORBIDDEN', message: 'This API answers only requests addressed to it from this computer.' } });
      return;
    }
    if (!request.url.startsWith('/api/')) return; // the web app's files are public
    if (request.url === '/api/v1/openapi.json') return;
    if (!tokenMatches(request.headers.authorization)) {
      await reply
        .code(401)
        .send({ error: { code: 'UNAUTHORIZED', message: 'Missing or wrong API token (it is in the file api-token in the node home).' } });
    }
  };
}

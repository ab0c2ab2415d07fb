import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { LoginLinkResponse, SessionState } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import type { SessionStore } from './sessions.js';

interface Guard {
  viaBearer(request: FastifyRequest): boolean;
  sessionOf(request: FastifyRequest): string | undefined;
}

/** Browser sign-in: a one-time link (from `agora open`) becomes an HttpOnly session cookie. */
export function registerSessionRoutes(app: FastifyInstance, options: { sessions: SessionStore; guard: Guard; url: () => string; port: () => number }): void {
  const { sessions, guard } = options;
  const cookie = (value: string, extra = '') => `${sessions.cookieName(options.port())}=${value}; Path=/; HttpOnly; SameSite=Strict${extra}`;

  app.post(
    '/api/v1/session/login-link',
    { schema: { summary: 'A one-time link that signs a browser in to the web app (bearer token only)', tags: ['session'] } },
    async (req): Promise<LoginLinkResponse> => {
      // A browser session must not mint links for other browsers: only the token holder may.
      if (!guard.viaBearer(req)) throw new AgoraError('FORBIDDEN', 'Only the API token (the CLI: agora open) can create sign-in links.');
      const { token, expiresAt } = sessions.createLoginToken();
      return { url: `${options.url()}/login?token=${token}`, expiresAt: new Date(expiresAt).toISOString() };
    },
  );

  // Public, so that a signed-out page learns it without a failing request (a console error).
  app.get('/api/v1/session', { schema: { summary: 'Whether this request carries a valid browser session (public)', tags: ['session'] } }, async (req): Promise<SessionState> => ({
    signedIn: guard.viaBearer(req) || sessions.isSession(guard.sessionOf(req)),
  }));

  app.post('/api/v1/session/logout', { schema: { summary: 'Sign this browser out', tags: ['session'] } }, async (req, reply) => {
    sessions.end(guard.sessionOf(req));
    void reply.header('set-cookie', cookie('', '; Max-Age=0'));
    return { signedOut: true };
  });

  app.get('/login', { schema: { hide: true } }, async (req: FastifyRequest, reply: FastifyReply) => {
    const token = (req.query as { token?: unknown }).token;
    const session = typeof token === 'string' ? sessions.redeem(token) : null;
    void reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer');
    if (session === null) {
      void reply.code(401).type('text/html; charset=utf-8');
      return expiredPage();
    }
    // 303 to / replaces the address: the spent token is not left in the address bar or history.
    void reply.header('set-cookie', cookie(session)).redirect('/', 303);
    return reply;
  });
}

function expiredPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign-in link not valid - Agora</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}code{background:#eef1f4;padding:.1rem .3rem}</style></head>
<body><main><h1>This sign-in link is no longer valid</h1>
<p>Each link works once, for 15 minutes. To get a new one, run this in a terminal on this computer:</p>
<p><code>agora open</code></p></main></body></html>`;
}

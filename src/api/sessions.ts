import { randomBytes, timingSafeEqual } from 'node:crypto';

/** A login link works once, and only for a short while: it may sit in a terminal's scrollback. */
export const LOGIN_LINK_TTL_MS = 15 * 60_000;
/** Kept in memory: a restart of the node signs every browser out (`agora open` signs in again). */
const MAX_SESSIONS = 100;

/**
 * One-time login tokens and the browser sessions they become. The cookie name carries the
 * port because browsers do not separate cookies by port: two nodes on one machine would
 * otherwise overwrite each other's session.
 */
export class SessionStore {
  private readonly logins = new Map<string, number>();
  private readonly sessions = new Set<string>();

  constructor(private readonly now: () => number = Date.now) {}

  cookieName(port: number): string {
    return `agora_session_${port}`;
  }

  createLoginToken(): { token: string; expiresAt: number } {
    this.dropExpiredLogins();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + LOGIN_LINK_TTL_MS;
    this.logins.set(token, expiresAt);
    return { token, expiresAt };
  }

  /** Spends a login token; returns a new session id, or null if the token is unknown, used or expired. */
  redeem(token: string): string | null {
    const expiresAt = this.logins.get(token);
    this.logins.delete(token);
    if (expiresAt === undefined || expiresAt < this.now()) return null;
    const session = randomBytes(32).toString('base64url');
    this.sessions.add(session);
    if (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.values().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    return session;
  }

  isSession(id: string | undefined): boolean {
    if (!id) return false;
    const given = Buffer.from(id);
    for (const s of this.sessions) {
      const known = Buffer.from(s);
      if (known.length === given.length && timingSafeEqual(known, given)) return true;
    }
    return false;
  }

  end(id: string | undefined): void {
    if (id) this.sessions.delete(id);
  }

  private dropExpiredLogins(): void {
    const now = this.now();
    for (const [token, expiresAt] of this.logins) if (expiresAt < now) this.logins.delete(token);
  }
}

/** The value of one cookie in a Cookie header (no dependency needed for one name). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

import { AgoraError, HttpApiClient, type EventSocket } from '../../src/client/http-client.js';

/** Same origin as the page: the node serves the app, and the session cookie authenticates it. */
export const api = new HttpApiClient('', { openSocket: (url) => new WebSocket(url) as unknown as EventSocket });

/** What to do about each kind of failure, in words for people who never saw a terminal. */
const hints: Partial<Record<string, string>> = {
  NODE_NOT_RUNNING: 'Your Agora node is not answering. Start it again (agora start), then reload this page.',
  UNAUTHORIZED: 'You are signed out. In a terminal on this computer run: agora open',
  PEER_UNREACHABLE: 'The other computer could not be reached. Ask the person who invited you to keep Agora running, then try again.',
  INVITE_EXPIRED: 'Ask for a new invite link.',
  INVITE_SPENT: 'This link was already used as often as allowed. Ask for a new invite link.',
  INVITE_REVOKED: 'Ask for a new invite link.',
  INVITE_INVALID: 'Check that you pasted the whole link, starting with agora://join/ or agora1.',
  FORBIDDEN: 'Ask an admin of the space.',
  LAST_ADMIN: 'Make someone else an admin first.',
  DISK_FULL: 'Free some space on this computer, then try again.',
  TIMEOUT: 'This took too long. Check the network and try again.',
};

export interface Problem {
  code: string;
  message: string;
  hint: string | null;
}

export function problemOf(err: unknown): Problem {
  if (err instanceof AgoraError) {
    const hint = hints[err.code] ?? null;
    return { code: err.code, message: err.message, hint: hint && !err.message.includes(hint) ? hint : null };
  }
  return { code: 'INTERNAL', message: err instanceof Error ? err.message : String(err), hint: 'Reload the page; if it happens again, look at node.log in the node home.' };
}

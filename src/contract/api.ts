/**
 * The local HTTP API's contract, shared by the server and its typed client: paths,
 * request bodies and responses. Everything lives under /api/v1.
 */
export const API_PREFIX = '/api/v1';

export type Role = 'admin' | 'member' | 'guest' | 'keeper';
export type DhtStatus = 'online' | 'offline' | 'disabled';

export interface StatusResponse {
  deviceId: string;
  name: string;
  version: string;
  api: string;
  listen: string[];
  dht: DhtStatus;
  spaces: number;
}

export interface Space {
  spaceId: string;
  name: string;
  role: Role | null;
  dir: string;
  members: number;
}

export interface CreateSpaceRequest {
  name: string;
  dir?: string;
}

export interface InviteRequest {
  role?: 'admin' | 'member' | 'guest';
  /** Lifetime in seconds. */
  expiresIn?: number;
  uses?: number;
}

export interface InviteResponse {
  spaceId: string;
  inviteId: string;
  code: string;
  link: string;
  role: Role;
  /** ISO 8601. */
  expiresAt: string;
  uses: number;
}

export interface JoinRequest {
  code: string;
  dir?: string;
}

export interface Member {
  memberId: string;
  name: string;
  role: Role;
  online: boolean;
  self: boolean;
}

export interface Peer {
  deviceId: string;
  name: string;
  connected: boolean;
  direct: boolean;
  transport: 'tcp' | 'udx' | 'relay' | 'memory' | null;
  address: string | null;
  rttMs: number | null;
}

export interface ErrorBody {
  error: { code: string; message: string };
}

/** One message on the event WebSocket. */
export interface EventMessage {
  type: string;
  data: unknown;
  at: string;
}

/** What a running node writes into its home so that clients find it. */
export interface ApiInfoFile {
  url: string;
  pid: number;
  startedAt: string;
}

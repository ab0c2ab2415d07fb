import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import type {
  AddFolderRequest,
  ApiInfoFile,
  AuditItem,
  ConflictCopy,
  CreateSpaceRequest,
  EventMessage,
  FileVersion,
  Folder,
  FolderStatus,
  GrantRequest,
  GrantResponse,
  InviteRequest,
  InviteResponse,
  JoinRequest,
  Member,
  MemberAccess,
  Peer,
  RemovedMember,
  RestoreRequest,
  RestoreResponse,
  RevertResponse,
  SetRoleRequest,
  Space,
  StatusResponse,
} from '../contract/api.js';
import { AgoraError, isErrorCode } from '../errors/index.js';

/** The typed client of a node's local API, used by the CLI (and later the web app). */
export class ApiClient {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** Finds the running node of a home through the files it writes there. */
  static forHome(home: string): ApiClient {
    const infoFile = join(home, 'api.json');
    const tokenFile = join(home, 'api-token');
    if (!existsSync(infoFile) || !existsSync(tokenFile)) {
      throw new AgoraError('NODE_NOT_RUNNING', `No Agora node is running for ${home}. Start it with: agora start --detach`);
    }
    const info = JSON.parse(readFileSync(infoFile, 'utf8')) as ApiInfoFile;
    return new ApiClient(info.url, readFileSync(tokenFile, 'utf8').trim());
  }

  status(signal?: AbortSignal): Promise<StatusResponse> {
    return this.request('GET', '/api/v1/status', undefined, signal);
  }

  setName(name: string, signal?: AbortSignal): Promise<{ name: string }> {
    return this.request('POST', '/api/v1/node/name', { name }, signal);
  }

  stop(signal?: AbortSignal): Promise<{ stopping: boolean }> {
    return this.request('POST', '/api/v1/node/stop', undefined, signal);
  }

  spaces(signal?: AbortSignal): Promise<Space[]> {
    return this.request('GET', '/api/v1/spaces', undefined, signal);
  }

  createSpace(body: CreateSpaceRequest, signal?: AbortSignal): Promise<Space> {
    return this.request('POST', '/api/v1/spaces', body, signal);
  }

  invite(space: string, body: InviteRequest, signal?: AbortSignal): Promise<InviteResponse> {
    return this.request('POST', `/api/v1/spaces/${encodeURIComponent(space)}/invites`, body, signal);
  }

  join(body: JoinRequest, signal?: AbortSignal): Promise<Space> {
    return this.request('POST', '/api/v1/join', body, signal);
  }

  members(space: string, signal?: AbortSignal): Promise<Member[]> {
    return this.request('GET', `/api/v1/spaces/${encodeURIComponent(space)}/members`, undefined, signal);
  }

  /** Admins: `member` is a member id, id prefix or unique name. */
  setRole(space: string, member: string, body: SetRoleRequest, signal?: AbortSignal): Promise<Member> {
    return this.request('POST', `${memberPath(space, member)}/role`, body, signal);
  }

  /** Admins: removes a member from the space. */
  removeMember(space: string, member: string, signal?: AbortSignal): Promise<RemovedMember> {
    return this.request('DELETE', memberPath(space, member), undefined, signal);
  }

  /** The space's signed history, then the last change of each file (see AuditItem). */
  audit(space: string, signal?: AbortSignal): Promise<AuditItem[]> {
    return this.request('GET', `/api/v1/spaces/${encodeURIComponent(space)}/audit`, undefined, signal);
  }

  peers(signal?: AbortSignal): Promise<Peer[]> {
    return this.request('GET', '/api/v1/peers', undefined, signal);
  }

  /** Shares a directory (an absolute path) as a new folder of the space. */
  addFolder(space: string, body: AddFolderRequest, signal?: AbortSignal): Promise<Folder> {
    return this.request('POST', `/api/v1/spaces/${encodeURIComponent(space)}/folders`, body, signal);
  }

  /** Folders on this device; only one space's with `space`. */
  folders(space?: string, signal?: AbortSignal): Promise<Folder[]> {
    return this.request('GET', `/api/v1/folders${query({ space })}`, undefined, signal);
  }

  /** `folder` is an id, a unique id prefix or "Space/Folder". */
  folderStatus(folder: string, signal?: AbortSignal): Promise<FolderStatus> {
    return this.request('GET', folderPath(folder), undefined, signal);
  }

  pauseFolder(folder: string, signal?: AbortSignal): Promise<Folder> {
    return this.request('POST', folderPath(folder, 'pause'), undefined, signal);
  }

  resumeFolder(folder: string, signal?: AbortSignal): Promise<Folder> {
    return this.request('POST', folderPath(folder, 'resume'), undefined, signal);
  }

  /** Stops syncing the folder on this device; its files stay on disk. */
  removeFolder(folder: string, signal?: AbortSignal): Promise<Folder> {
    return this.request('POST', folderPath(folder, 'remove'), undefined, signal);
  }

  rescanFolder(folder: string, signal?: AbortSignal): Promise<Folder> {
    return this.request('POST', folderPath(folder, 'rescan'), undefined, signal);
  }

  conflicts(space?: string, signal?: AbortSignal): Promise<ConflictCopy[]> {
    return this.request('GET', `/api/v1/conflicts${query({ space })}`, undefined, signal);
  }

  versions(folder: string, path: string, signal?: AbortSignal): Promise<FileVersion[]> {
    return this.request('GET', folderPath(folder, 'versions') + query({ path }), undefined, signal);
  }

  restore(folder: string, body: RestoreRequest, signal?: AbortSignal): Promise<RestoreResponse> {
    return this.request('POST', folderPath(folder, 'restore'), body, signal);
  }

  /** Admins: access of a role or one member to a folder; `space` narrows a folder name. */
  grant(folder: string, body: GrantRequest, space?: string, signal?: AbortSignal): Promise<GrantResponse> {
    return this.request('POST', folderPath(folder, 'grants') + query({ space }), body, signal);
  }

  /** Effective access of every member this device may list. */
  folderAccess(folder: string, space?: string, signal?: AbortSignal): Promise<MemberAccess[]> {
    return this.request('GET', folderPath(folder, 'access') + query({ space }), undefined, signal);
  }

  /** Read-only folders: puts the shared version back over local changes. */
  revertFolder(folder: string, signal?: AbortSignal): Promise<RevertResponse> {
    return this.request('POST', folderPath(folder, 'revert'), undefined, signal);
  }

  /** Subscribes to the event stream; returns a function that closes it. */
  events(onEvent: (event: EventMessage) => void, onError?: (err: Error) => void): () => void {
    const ws = new WebSocket(this.url.replace(/^http/, 'ws') + '/api/v1/events', {
      headers: { authorization: `Bearer ${this.token}` },
    });
    ws.on('message', (data) => onEvent(JSON.parse(String(data)) as EventMessage));
    ws.on('error', (err) => onError?.(err));
    return () => ws.close();
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
    let response: Response;
    try {
      response = await fetch(this.url + path, {
        method,
        headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? null : JSON.stringify(body),
        signal: signal ?? null,
      });
    } catch (err) {
      if (signal?.aborted) throw new AgoraError('ABORTED', 'Cancelled.');
      throw new AgoraError('NODE_NOT_RUNNING', `The Agora node at ${this.url} does not answer. Is it running? Start it with: agora start --detach`, { cause: err });
    }
    const text = await response.text();
    const json: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
      throw new AgoraError(code, error?.message ?? `The node answered ${response.status}.`);
    }
    return json as T;
  }
}

/** A folder reference may be "Space/Folder": encoded, its '/' stays inside one path segment. */
function folderPath(folder: string, action?: string): string {
  return `/api/v1/folders/${encodeURIComponent(folder)}${action ? `/${action}` : ''}`;
}

function memberPath(space: string, member: string): string {
  return `/api/v1/spaces/${encodeURIComponent(space)}/members/${encodeURIComponent(member)}`;
}

function query(params: Record<string, string | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, value);
  const text = search.toString();
  return text ? `?${text}` : '';
}

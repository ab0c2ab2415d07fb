import type {
  ActivityItem,
  AddFolderRequest,
  AuditItem,
  AuditQuery,
  ConflictCopy,
  CreateSpaceRequest,
  DirListing,
  EventMessage,
  FileVersion,
  Folder,
  FolderStatus,
  GrantRequest,
  GrantResponse,
  InviteRequest,
  InviteResponse,
  JoinRequest,
  LoginLinkResponse,
  Member,
  MemberAccess,
  DoctorReport,
  Peer,
  RemovedMember,
  ResolveConflictRequest,
  ResolveConflictResponse,
  RestoreRequest,
  RestoreResponse,
  RevertResponse,
  SessionState,
  SetRoleRequest,
  SettingsPatch,
  SettingsResponse,
  Space,
  StatusResponse,
  UploadResponse,
} from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { parseAnswer, xhrUpload, type ProgressXhr } from './answer.js';
import { ChatClient } from './chat-client.js';

export { ChatClient, type AttachmentDownload } from './chat-client.js';

/** Re-exported so that callers (the web app) can tell node errors apart without reaching into src/errors. */
export { AgoraError } from '../errors/index.js';

/** The little of a WebSocket the event stream needs; the browser's and the `ws` package's both fit. */
export interface EventSocket {
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: unknown) => void) | null;
  close(): void;
}

export interface HttpClientOptions {
  /** Bearer token (CLI, scripts); a browser signs in with a session cookie instead. */
  token?: string;
  /** Opens the event WebSocket at `url` (an absolute ws:// address). */
  openSocket?: (url: string, headers: Record<string, string>) => EventSocket;
}

/**
 * The typed client of a node's local API, for any runtime with fetch: the CLI (through
 * ApiClient, which finds the node from its home) and the web app in the browser, which
 * passes its own origin as `url` and is authenticated by its session cookie.
 */
export class HttpApiClient {
  /** Chat: channels, messages, attachments, presence. */
  readonly chat: ChatClient;

  constructor(
    readonly url: string,
    private readonly options: HttpClientOptions = {},
  ) {
    this.chat = new ChatClient({
      url: () => this.url,
      authHeader: () => this.authHeader(),
      request: (method, path, body, signal, rawType) => this.request(method, path, body, signal, rawType),
      raw: (path, signal) => this.raw(path, signal),
    });
  }

  status(signal?: AbortSignal): Promise<StatusResponse> {
    return this.request('GET', '/api/v1/status', undefined, signal);
  }

  setName(name: string, signal?: AbortSignal): Promise<{ name: string }> {
    return this.request('POST', '/api/v1/node/name', { name }, signal);
  }

  /** Saved and running settings, and whether a restart is needed to apply the saved ones. */
  settings(signal?: AbortSignal): Promise<SettingsResponse> {
    return this.request('GET', '/api/v1/settings', undefined, signal);
  }

  /** Changes only the keys given; a bad value is refused (400) and changes nothing. */
  updateSettings(patch: SettingsPatch, signal?: AbortSignal): Promise<SettingsResponse> {
    return this.request('PATCH', '/api/v1/settings', patch, signal);
  }

  /** What happened lately, newest first (kept by the node since it started). */
  activity(limit?: number, signal?: AbortSignal): Promise<ActivityItem[]> {
    return this.request('GET', `/api/v1/activity${query({ limit: limit === undefined ? undefined : String(limit) })}`, undefined, signal);
  }

  stop(signal?: AbortSignal): Promise<{ stopping: boolean }> {
    return this.request('POST', '/api/v1/node/stop', undefined, signal);
  }

  /** Bearer token only: a one-time link that signs a browser in to the web app. */
  loginLink(signal?: AbortSignal): Promise<LoginLinkResponse> {
    return this.request('POST', '/api/v1/session/login-link', undefined, signal);
  }

  /** Public: whether this client is signed in (a browser asks before anything else). */
  session(signal?: AbortSignal): Promise<SessionState> {
    return this.request('GET', '/api/v1/session', undefined, signal);
  }

  logout(signal?: AbortSignal): Promise<{ signedOut: boolean }> {
    return this.request('POST', '/api/v1/session/logout', undefined, signal);
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

  /**
   * The space's signed history, then the newest file changes (see AuditItem, AuditQuery).
   * `options` comes after `signal` so that callers written before it keep working.
   */
  audit(space: string, signal?: AbortSignal, options: AuditQuery = {}): Promise<AuditItem[]> {
    const search = query({ folder: options.folder, limit: options.limit === undefined ? undefined : String(options.limit) });
    return this.request('GET', `/api/v1/spaces/${encodeURIComponent(space)}/audit${search}`, undefined, signal);
  }

  doctor(signal?: AbortSignal): Promise<DoctorReport> {
    return this.request('GET', '/api/v1/doctor', undefined, signal);
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

  /** One directory of a folder on this device; `path` '' is the top. */
  listFiles(folder: string, path = '', signal?: AbortSignal): Promise<DirListing> {
    return this.request('GET', folderPath(folder, 'files') + query({ path }), undefined, signal);
  }

  /** Where a file downloads from (the browser follows it with its cookie; a link, not a fetch). */
  fileUrl(folder: string, path: string): string {
    return this.url + folderPath(folder, 'file') + query({ path });
  }

  /**
   * Streams `body` into the folder at `path` (missing parent directories are made); an existing
   * file is replaced only with `overwrite`. `onProgress` gets the bytes sent so far: browsers
   * report upload progress only through XMLHttpRequest, so it is used when there is one.
   */
  upload(
    folder: string,
    path: string,
    body: Blob | ReadableStream<Uint8Array>,
    overwrite = false,
    signal?: AbortSignal,
    onProgress?: (sent: number) => void,
  ): Promise<UploadResponse> {
    const target = folderPath(folder, 'file') + query({ path, overwrite: overwrite ? 'true' : undefined });
    const Xhr = (globalThis as { XMLHttpRequest?: new () => ProgressXhr }).XMLHttpRequest;
    if (onProgress && Xhr && body instanceof Blob) return xhrUpload<UploadResponse>(Xhr, this.url + target, this.authHeader(), body, onProgress, signal);
    return this.request('PUT', target, body, signal, 'application/octet-stream');
  }

  resolveConflict(folder: string, body: ResolveConflictRequest, signal?: AbortSignal): Promise<ResolveConflictResponse> {
    return this.request('POST', folderPath(folder, 'conflicts/resolve'), body, signal);
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

  /** Subscribes to the event stream; returns a function that closes it. `onClose` says it ended. */
  events(onEvent: (event: EventMessage) => void, onError?: (err: Error) => void, onClose?: () => void): () => void {
    const open = this.options.openSocket;
    if (!open) throw new AgoraError('INTERNAL', 'This client has no WebSocket to open the event stream with.');
    // The browser's client has url '' (same origin); a WebSocket needs an absolute address.
    const here = (globalThis as { location?: { origin: string } }).location;
    const base = this.url || (here?.origin ?? '');
    const socket = open(base.replace(/^http/, 'ws') + '/api/v1/events', this.authHeader());
    socket.onmessage = (event) => onEvent(JSON.parse(String(event.data)) as EventMessage);
    socket.onerror = () => onError?.(new AgoraError('NODE_NOT_RUNNING', 'The event stream of the node failed.'));
    socket.onclose = () => onClose?.();
    return () => socket.close();
  }

  private authHeader(): Record<string, string> {
    return this.options.token ? { authorization: `Bearer ${this.options.token}` } : {};
  }

  private async request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal, rawType?: string): Promise<T> {
    const response = await this.send(method, path, body, signal, rawType);
    return parseAnswer<T>(response.status, await response.text());
  }

  /** A GET whose answer is a byte stream: the response when it is 2xx, else the node's error. */
  private async raw(path: string, signal?: AbortSignal): Promise<Response> {
    const response = await this.send('GET', path, undefined, signal);
    if (response.ok) return response;
    return parseAnswer<never>(response.status, await response.text());
  }

  private async send(method: string, path: string, body?: unknown, signal?: AbortSignal, rawType?: string): Promise<Response> {
    const type = rawType ?? (body === undefined ? undefined : 'application/json');
    try {
      return await fetch(this.url + path, {
        method,
        headers: { ...this.authHeader(), ...(type ? { 'content-type': type } : {}) },
        body: body === undefined ? null : rawType ? (body as Blob) : JSON.stringify(body),
        signal: signal ?? null,
        credentials: 'same-origin',
        ...(rawType && typeof ReadableStream !== 'undefined' && body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    } catch (err) {
      if (signal?.aborted) throw new AgoraError('ABORTED', 'Cancelled.');
      throw new AgoraError('NODE_NOT_RUNNING', `The Agora node at ${this.url || 'this address'} does not answer. Is it running? Start it with: agora start --detach`, { cause: err });
    }
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

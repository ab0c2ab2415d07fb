import { AgoraError, isErrorCode } from '../errors/index.js';

/** The node's JSON answer, or its error as an AgoraError with the node's code and message. */
export function parseAnswer<T>(status: number, text: string): T {
  let json: unknown;
  try {
    json = text.length > 0 ? JSON.parse(text) : undefined;
  } catch {
    throw new AgoraError('INTERNAL', `The node answered ${status} with something that is not JSON.`);
  }
  if (status < 200 || status > 299) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    const code = isErrorCode(error?.code) ? error.code : 'INTERNAL';
    throw new AgoraError(code, error?.message ?? `The node answered ${status}.`);
  }
  return json as T;
}

/** The little of the browser's XMLHttpRequest an upload with progress needs (the Node build has no DOM types). */
export interface ProgressXhr {
  open(method: string, url: string): void;
  setRequestHeader(name: string, value: string): void;
  upload: { onprogress: ((event: { loaded: number }) => void) | null };
  onabort: (() => void) | null;
  onerror: (() => void) | null;
  onload: (() => void) | null;
  abort(): void;
  send(body: Blob): void;
  readonly status: number;
  readonly responseText: string;
}

/** A PUT (or POST) of `body` whose progress the browser reports (fetch cannot report upload progress). */
export function xhrUpload<T>(
  Xhr: new () => ProgressXhr,
  url: string,
  headers: Record<string, string>,
  body: Blob,
  onProgress: (sent: number) => void,
  signal?: AbortSignal,
  method: 'PUT' | 'POST' = 'PUT',
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new Xhr();
    xhr.open(method, url);
    for (const [k, v] of Object.entries({ ...headers, 'content-type': 'application/octet-stream' })) xhr.setRequestHeader(k, v);
    xhr.upload.onprogress = (e) => onProgress(e.loaded);
    const onAbort = () => xhr.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    xhr.onabort = () => reject(new AgoraError('ABORTED', 'Cancelled.'));
    xhr.onerror = () => reject(new AgoraError('NODE_NOT_RUNNING', `The Agora node at ${url} does not answer. Is it running? Start it with: agora start --detach`));
    xhr.onload = () => {
      signal?.removeEventListener('abort', onAbort);
      try {
        resolve(parseAnswer<T>(xhr.status, xhr.responseText));
      } catch (err) {
        reject(err as Error);
      }
    };
    if (signal?.aborted) return onAbort();
    xhr.send(body);
  });
}

import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import WebSocket from 'ws';
import type { ApiInfoFile, AttachmentUpload } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { HttpApiClient, type EventSocket } from './http-client.js';
import { postFile } from './node-upload.js';

export { HttpApiClient } from './http-client.js';

/** The typed client for Node (the CLI, scripts, tests): bearer token, events over the `ws` package. */
export class ApiClient extends HttpApiClient {
  constructor(
    url: string,
    private readonly token: string,
  ) {
    super(url, { token, openSocket: (socketUrl, headers) => new WebSocket(socketUrl, { headers }) as unknown as EventSocket });
  }

  /** Streams a file from this computer to the node, to be sent with a chat message (see postFile). */
  uploadAttachmentFile(space: string, file: string, name = basename(file), signal?: AbortSignal): Promise<AttachmentUpload> {
    const url = `${this.url}/api/v1/spaces/${encodeURIComponent(space)}/chat/attachments?name=${encodeURIComponent(name)}`;
    return postFile<AttachmentUpload>(url, { authorization: `Bearer ${this.token}` }, file, signal);
  }

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
}

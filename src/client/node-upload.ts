import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { AgoraError } from '../errors/index.js';
import { parseAnswer } from './answer.js';

/**
 * Streams a file as the raw body of a POST and parses the node's answer. It uses node:http
 * rather than fetch: Node 20's fetch keeps every chunk of a streamed request body in memory
 * until the request is over, which for a big file is the whole file. The length is declared,
 * so the node refuses a file over its upload limit before a byte is sent.
 */
export async function postFile<T>(url: string, headers: Record<string, string>, file: string, signal?: AbortSignal): Promise<T> {
  const size = (await stat(file)).size;
  return new Promise<T>((resolve, reject) => {
    let answered = false;
    const req = request(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(size) }, ...(signal ? { signal } : {}) }, (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('error', (err) => reject(err));
      res.on('end', () => {
        try {
          resolve(parseAnswer<T>(res.statusCode ?? 0, text));
        } catch (err) {
          reject(err as Error);
        }
      });
    });
    req.on('error', (err) => {
      if (answered) return; // a refusal cut the upload short: the answer says why
      if (signal?.aborted) reject(new AgoraError('ABORTED', 'Cancelled.'));
      else reject(new AgoraError('NODE_NOT_RUNNING', `The Agora node at ${url} does not answer. Is it running? Start it with: agora start --detach`, { cause: err }));
    });
    // Errors of the body (the node stopped reading it) surface on the request, or in its answer.
    pipeline(createReadStream(file), req).catch(() => undefined);
  });
}

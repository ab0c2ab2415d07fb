import type { Command } from 'commander';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ApiClient } from '../client/api-client.js';
import type { ChatMessageEvent } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { messageLines, resolveSpace } from './chat-view.js';
import { formatBytes } from './folder-view.js';
import { printJson, printLine } from './output.js';

/** `chat tail` (follows the event stream) and `chat attachment get` (streams a file to disk). */
export function registerChatStreamCommands(chat: Command, client: () => ApiClient): void {
  chat
    .command('tail')
    .description('follow the messages of a space as they arrive (new, edited, deleted) until Ctrl-C')
    .requiredOption('--space <space>', 'space id or name')
    .option('--json', 'print one JSON object per line: the message, with kind post, edit or delete')
    .action(async (opts: { space: string; json?: boolean }) => {
      const api = client();
      const space = resolveSpace(await api.spaces(), opts.space);
      await api.chat.channels(space.spaceId); // the node's own refusal, if any, before following
      await follow(api, space.spaceId, space.name, opts.json === true);
    });

  const attachment = chat.command('attachment').description('files sent with messages');
  attachment
    .command('get <attachment>')
    .description('save an attachment of a message you can read (its id is in chat read); fetched from peers if needed')
    .requiredOption('--space <space>', 'space id or name')
    .option('--out <file>', 'where to save it (default: its name, in the current directory)')
    .option('--force', 'replace the file if it exists')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { space: string; out?: string; force?: boolean; json?: boolean }) => {
      const download = await client().chat.downloadAttachment(opts.space, id);
      const out = resolvePath(opts.out ?? safeName(download.name));
      try {
        await pipeline(Readable.fromWeb(download.body as unknown as NodeReadableStream<Uint8Array>), createWriteStream(out, { flags: opts.force ? 'w' : 'wx' }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AgoraError('CONFLICT', `${out} exists already; choose another --out, or replace it with --force.`);
        await rm(out, { force: true });
        throw err;
      }
      if (opts.json) return printJson({ attachmentId: id, name: download.name, size: download.size, path: out });
      printLine(`Saved ${download.name} (${formatBytes(download.size)}) to ${out}`);
    });
}

/** A name from a peer, used as a file name here: no directories, no hidden or empty name. */
function safeName(name: string): string {
  const clean = name.replace(/[\\/\u0000-\u001f]/g, '_').replace(/^\.+/, '');
  return clean === '' ? 'attachment' : clean;
}

/**
 * Prints each message of the space as its event arrives, fetched in arrival order; resolves
 * on Ctrl-C (or SIGTERM), fails when the node closes the stream.
 */
function follow(api: ApiClient, spaceId: string, spaceName: string, json: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    let queue = Promise.resolve();
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      close();
      if (err) reject(err);
      else resolve();
    };
    const onSignal = () => finish();
    const show = async (event: ChatMessageEvent) => {
      const m = await api.chat.message(spaceId, event.messageId, event.channelId);
      if (json) process.stdout.write(JSON.stringify({ kind: event.kind, ...m }) + '\n');
      else for (const line of messageLines(m, true)) printLine(line);
    };
    const close = api.events(
      (event) => {
        if (event.type === 'hello') process.stderr.write(`Following the chat of "${spaceName}". Stop with Ctrl-C.\n`);
        if (event.type !== 'chat.message' || done) return;
        const data = event.data as ChatMessageEvent;
        if (data.spaceId !== spaceId) return;
        queue = queue
          .then(() => show(data))
          .catch((err: unknown) => {
            process.stderr.write(`agora: ${(err as Error).message}\n`);
          });
      },
      (err) => finish(err),
      () => finish(new AgoraError('NODE_NOT_RUNNING', 'The node closed the event stream (did it stop?); the tail ended.')),
    );
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

import { Option, type Command } from 'commander';
import { stat } from 'node:fs/promises';
import type { ApiClient } from '../client/api-client.js';
import type { AttachmentUpload } from '../contract/api.js';
import { AgoraError } from '../errors/index.js';
import { collect } from './access-view.js';
import { registerChatStreamCommands } from './chat-stream-commands.js';
import { channelLabel, channelRows, chatTarget, messageLines, parsePresence } from './chat-view.js';
import { parsePositiveInt } from './duration.js';
import { plural } from './folder-view.js';
import { printJson, printLine, printTable, shortId } from './output.js';

/** At most this many files per message (the node refuses more). */
const MAX_ATTACHMENTS = 10;

/** `agora chat …`: channels, sending, reading, editing and deleting messages, presence; tail and attachments in chat-stream-commands.ts. */
export function registerChatCommands(program: Command, client: () => ApiClient): Command {
  const chat = program.command('chat').description('messages of a space: channels, direct messages, attachments, presence');

  chat
    .command('channels')
    .description('the conversations you can read, with unread counts')
    .requiredOption('--space <space>', 'space id or name')
    .option('--json', 'print JSON')
    .action(async (opts: { space: string; json?: boolean }) => {
      const list = await client().chat.channels(opts.space);
      if (opts.json) return printJson(list);
      if (list.length === 0) return printLine('No conversations you can read yet. A direct message starts one: agora chat send --space SPACE --to MEMBER TEXT');
      printTable(['CHANNEL', 'KIND', 'MEMBERS', 'UNREAD', 'LAST MESSAGE'], channelRows(list));
    });

  const channel = chat.command('channel').description('create channels and choose who is in a private one (admins)');
  channel
    .command('create <name>')
    .description('create a channel (admins): open to every member, or private to the members named with --member')
    .requiredOption('--space <space>', 'space id or name')
    .option('--member <member>', 'a member of the private channel (id, id prefix or name); repeat for several', collect, [])
    .addOption(new Option('--history <history>', 'what members added later see: from when they joined, or everything').choices(['join', 'full']).default('join'))
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { space: string; member: string[]; history: 'join' | 'full'; json?: boolean }) => {
      const c = await client().chat.createChannel(opts.space, { name, members: opts.member, history: opts.history });
      if (opts.json) return printJson(c);
      const who = c.kind === 'private' ? `private to ${plural(c.members, 'member')}` : 'open to every member (guests are not in it)';
      printLine(`Created ${channelLabel(c.name)}, ${who}. Write in it with: agora chat send --space ${JSON.stringify(opts.space)} --channel ${c.name} TEXT`);
    });

  for (const [action, inChannel] of [['add-member', true], ['remove-member', false]] as const) {
    channel
      .command(`${action} <channel> <member>`)
      .description(inChannel ? 'add a member to a private channel (admins); they see its history as the channel says' : 'take a member out of a private channel (admins)')
      .requiredOption('--space <space>', 'space id or name')
      .option('--json', 'print JSON')
      .action(async (channelRef: string, member: string, opts: { space: string; json?: boolean }) => {
        const c = await client().chat.setChannelMember(opts.space, channelRef, member, inChannel);
        if (opts.json) return printJson(c);
        printLine(`${channelLabel(c.name)} now has ${plural(c.members, 'member')}.`);
      });
  }

  chat
    .command('send <text>')
    .description('send a message to a channel or to one member; "" as TEXT with --attach sends only files')
    .requiredOption('--space <space>', 'space id or name')
    .option('--channel <name>', 'the channel (name or id; general is everyone\'s)')
    .option('--to <member>', 'a member (id, id prefix or name): a direct message')
    .option('--attach <file>', 'a file to send with it (streamed to the node); repeat for several', collect, [])
    .option('--json', 'print JSON')
    .action(async (text: string, opts: { space: string; channel?: string; to?: string; attach: string[]; json?: boolean }) => {
      const target = chatTarget(opts.channel, opts.to, '--to');
      const api = client();
      if (opts.attach.length > MAX_ATTACHMENTS) throw new AgoraError('BAD_REQUEST', `A message carries at most ${MAX_ATTACHMENTS} files; send the others in another message.`);
      if (opts.attach.length > 0) {
        // Say that the conversation is wrong before uploading anything.
        await api.chat.read(opts.space, { ...(target.channel ? { channel: target.channel } : { with: target.member! }), limit: 1, markRead: false });
      }
      const attachments: AttachmentUpload[] = [];
      for (const file of opts.attach) attachments.push(await uploadFile(api, opts.space, file));
      const m = await api.chat.send(opts.space, { ...(target.channel ? { channel: target.channel } : { to: target.member! }), text, attachments });
      if (opts.json) return printJson(m);
      printLine(`Sent to ${channelLabel(m.channel)} (message ${shortId(m.messageId)}${attachments.length > 0 ? `, ${plural(attachments.length, 'file')}` : ''}).`);
    });

  chat
    .command('read')
    .description('the messages of a channel or of your direct conversation with a member, oldest first; marks them read')
    .requiredOption('--space <space>', 'space id or name')
    .option('--channel <name>', 'the channel (name or id)')
    .option('--with <member>', 'a member (id, id prefix or name): your direct conversation')
    .option('--since <message>', 'only the messages after this one (id or id prefix)')
    .option('--limit <n>', 'only the last N messages')
    .option('--json', 'print JSON')
    .action(async (opts: { space: string; channel?: string; with?: string; since?: string; limit?: string; json?: boolean }) => {
      const target = chatTarget(opts.channel, opts.with, '--with');
      const limit = opts.limit === undefined ? undefined : parsePositiveInt(opts.limit, '--limit');
      const list = await client().chat.read(opts.space, {
        ...(target.channel ? { channel: target.channel } : { with: target.member! }),
        ...(opts.since === undefined ? {} : { since: opts.since }),
        ...(limit === undefined ? {} : { limit }),
      });
      if (opts.json) return printJson(list);
      if (list.length === 0) return printLine(opts.since === undefined ? 'No messages yet.' : 'No newer messages.');
      for (const m of list) for (const line of messageLines(m)) printLine(line);
    });

  chat
    .command('edit <message> <text>')
    .description('change the text of one of your messages (id or id prefix); everyone sees that it was edited')
    .requiredOption('--space <space>', 'space id or name')
    .option('--json', 'print JSON')
    .action(async (message: string, text: string, opts: { space: string; json?: boolean }) => {
      const m = await client().chat.edit(opts.space, message, text);
      if (opts.json) return printJson(m);
      printLine(`Edited message ${shortId(m.messageId)} in ${channelLabel(m.channel)}.`);
    });

  chat
    .command('delete <message>')
    .description('delete one of your messages (id or id prefix); everyone sees that it was deleted')
    .requiredOption('--space <space>', 'space id or name')
    .option('--json', 'print JSON')
    .action(async (message: string, opts: { space: string; json?: boolean }) => {
      const m = await client().chat.remove(opts.space, message);
      if (opts.json) return printJson(m);
      printLine(`Deleted message ${shortId(m.messageId)} in ${channelLabel(m.channel)}; the others see it as deleted.`);
    });

  chat
    .command('presence [state]')
    .description('show or set what the others see next to your name: online or away (offline when your node is not running)')
    .option('--json', 'print JSON')
    .action(async (state: string | undefined, opts: { json?: boolean }) => {
      const api = client();
      const p = state === undefined ? await api.chat.presence() : await api.chat.setPresence(parsePresence(state));
      if (opts.json) return printJson(p);
      printLine(`You are ${p.state}.`);
    });

  registerChatStreamCommands(chat, client);
  return chat;
}

/** Streams a file to the node (read in chunks, never whole); the answer goes into the message. */
async function uploadFile(api: ApiClient, space: string, file: string): Promise<AttachmentUpload> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new AgoraError('NOT_FOUND', `There is no file ${file} to attach.`);
  return api.uploadAttachmentFile(space, file);
}


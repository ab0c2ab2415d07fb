import { Box, Button, Text } from '@mantine/core';
import { useEffect, useEffectEvent, useRef, useState } from 'react';
import type { AttachmentUpload, ChannelSummary, ChatAttachmentEvent, ChatMessage, EventMessage, Member } from '../../../../src/contract/api.js';
import { api, problemOf, type Problem } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useLive } from '../../live.js';
import { chatEvent, presenceOf, type ChatTarget } from './chat-target.js';
import { Composer } from './Composer.js';
import { ConversationHeader } from './ConversationHeader.js';
import { DeleteMessageDialog } from './DeleteMessageDialog.js';
import { FileDropZone } from './FileDropZone.js';
import { MessageItem } from './MessageItem.js';
import { useAttachments } from './use-attachments.js';
import { useFollowBottom } from './use-follow-bottom.js';

/** Messages shown at first, and how many more each "Show earlier messages" adds. */
const PAGE = 100;

interface Props {
  spaceId: string;
  target: ChatTarget;
  /** The conversation as the list has it (a direct one appears there after its first message). */
  listed: ChannelSummary | undefined;
  members: readonly Member[];
  /** The node counted the conversation as read. */
  onRead: () => void;
}

const pageVisible = () => document.visibilityState === 'visible';

/** One conversation: its messages, live, oldest first; the composer; files dropped anywhere on it are attached. */
export function Conversation({ spaceId, target, listed, members, onRead }: Props) {
  const [limit, setLimit] = useState(PAGE);
  const [deleting, setDeleting] = useState<ChatMessage | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const attachments = useAttachments(spaceId);
  const textRef = useRef<HTMLTextAreaElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const selfId = members.find((m) => m.self)?.memberId;
  const direct = 'with' in target;
  const other = direct ? byId.get(target.with) : undefined;
  const title = direct ? (other?.name ?? listed?.name.replace(/^@/, '') ?? 'Direct message') : (listed?.name ?? target.channel);
  const label = direct ? title : `#${title}`;

  const concerns = (e: EventMessage): boolean => {
    const d = chatEvent(e);
    if (d) return d.spaceId === spaceId && (listed === undefined || d.channelId === listed.channelId);
    if (e.type === 'chat.attachment') return (e.data as ChatAttachmentEvent).spaceId === spaceId;
    // Renames and role changes show in the authors' names.
    return e.type === 'space.changed' && (e.data as { spaceId?: string } | null)?.spaceId === spaceId;
  };
  // The limit is not in the key: showing earlier messages keeps the ones on screen while it loads.
  const messages = useLive(
    (signal) => api.chat.read(spaceId, { ...target, limit, markRead: pageVisible() }, signal),
    `chat-${spaceId}-${direct ? `@${target.with}` : target.channel}`,
    concerns,
    150,
  );
  const list = messages.data ?? [];
  const last = list.at(-1)?.messageId;

  const read = useEffectEvent(onRead);
  useEffect(() => {
    if (messages.data && pageVisible()) read();
  }, [messages.data]);

  // Back on the page: read what came meanwhile (the list's unread counts follow).
  const reload = messages.reload;
  useEffect(() => {
    const onVisible = () => pageVisible() && reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => document.removeEventListener('visibilitychange', onVisible);
  }, [reload]);

  const setFollow = useFollowBottom(last);

  // Opened from a list that is gone now (a phone shows one or the other): start reading at the heading.
  useEffect(() => {
    if (document.activeElement === null || document.activeElement === document.body) headingRef.current?.focus({ preventScroll: true });
  }, []);

  const send = async (text: string, files: AttachmentUpload[]) => {
    await api.chat.send(spaceId, { ...(direct ? { to: target.with } : { channel: target.channel }), text, ...(files.length > 0 ? { attachments: files } : {}) });
    setFollow(true);
    messages.reload();
  };

  const act = async (action: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await action();
      messages.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <FileDropZone
      onFiles={(files) => {
        attachments.add(files);
        textRef.current?.focus();
      }}
      onProblem={setProblem}
    >
      <ConversationHeader ref={headingRef} title={title} direct={direct} listed={listed} other={other} members={byId} />
      {list.length >= limit && (
        <Button
          variant="subtle"
          size="xs"
          mb="xs"
          onClick={() => {
            setFollow(false);
            setLimit((n) => n + PAGE);
            messages.reload();
          }}
        >
          Show earlier messages
        </Button>
      )}
      {messages.problem && <ProblemAlert problem={messages.problem} />}
      {problem && <ProblemAlert problem={problem} title="That did not work" />}
      <Box role="log" aria-label={`Messages in ${label}`} mb="sm">
        {messages.data?.length === 0 && (
          <Text c="dimmed" py="md">
            {direct ? `This is the start of your conversation with ${title}.` : 'No messages yet. Write the first one below.'}
          </Text>
        )}
        <Box component="ol" p={0} m={0}>
          {list.map((m) => (
            <MessageItem
              key={m.messageId}
              message={m}
              own={m.author === selfId}
              presence={presenceOf(byId.get(m.author))}
              mentioned={m.mentions.flatMap((id) => byId.get(id)?.name ?? [])}
              onEdit={async (text) => {
                await api.chat.edit(spaceId, m.messageId, text);
                messages.reload();
              }}
              onDelete={() => setDeleting(m)}
            />
          ))}
        </Box>
      </Box>
      <Composer label={label} attachments={attachments} textRef={textRef} onSend={send} />
      <DeleteMessageDialog
        opened={deleting !== null}
        onCancel={() => setDeleting(null)}
        onConfirm={() => {
          const m = deleting;
          setDeleting(null);
          // Its Delete button goes with it: the focus moves on to the composer.
          if (m) void act(() => api.chat.remove(spaceId, m.messageId).then(() => textRef.current?.focus()));
        }}
      />
    </FileDropZone>
  );
}

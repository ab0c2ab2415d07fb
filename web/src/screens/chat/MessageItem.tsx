import { Badge, Box, Button, Group, Text } from '@mantine/core';
import { useRef, useState } from 'react';
import type { ChatMessage, Presence } from '../../../../src/contract/api.js';
import { AttachmentList } from './AttachmentList.js';
import { messageTime } from './chat-format.js';
import { EditMessage } from './EditMessage.js';
import { MessageText } from './MessageText.js';
import { PresenceDot } from './PresenceDot.js';

interface Props {
  message: ChatMessage;
  own: boolean;
  presence: Presence;
  /** Names of the members the message mentions. */
  mentioned: readonly string[];
  onEdit: (text: string) => Promise<void>;
  onDelete: () => void;
}

/** One message: who wrote it and when, whether it was edited or deleted, its text and files; one's own can be changed. */
export function MessageItem({ message: m, own, presence, mentioned, onEdit, onDelete }: Props) {
  const [editing, setEditing] = useState(false);
  const editButton = useRef<HTMLButtonElement>(null);
  const time = messageTime(m.sentAt);
  // Buttons of several messages must not sound alike to a screen reader: each names its message.
  const gist = `"${(m.text || m.attachments.map((a) => a.name).join(', ')).slice(0, 40)}" of ${time}`;
  const stopEditing = () => {
    setEditing(false);
    requestAnimationFrame(() => editButton.current?.focus());
  };

  return (
    <Box
      component="li"
      data-testid="chat-message"
      data-message-id={m.messageId}
      py={6}
      px="sm"
      style={{
        listStyle: 'none',
        borderRadius: 'var(--mantine-radius-sm)',
        borderLeft: m.mentionsMe ? '3px solid var(--mantine-color-indigo-7)' : '3px solid transparent',
        background: m.mentionsMe ? 'var(--mantine-color-indigo-0)' : undefined,
      }}
    >
      <Group gap={6} wrap="wrap" align="center">
        <Text fw={600} size="sm">
          {m.authorName}
        </Text>
        <PresenceDot presence={presence} name={m.authorName} />
        <Text size="xs" c="dimmed" component="time" dateTime={new Date(m.sentAt).toISOString()} title={new Date(m.sentAt).toLocaleString()}>
          {time}
        </Text>
        {m.editedAt !== null && !m.deleted && (
          <Text size="xs" c="dimmed" title={`Edited ${new Date(m.editedAt).toLocaleString()}`}>
            (edited)
          </Text>
        )}
        {m.mentionsMe && (
          <Badge size="xs" variant="light">
            Mentions you
          </Badge>
        )}
      </Group>
      {m.deleted ? (
        <Text size="sm" c="dimmed" fs="italic">
          This message was deleted.
        </Text>
      ) : editing ? (
        <EditMessage
          text={m.text}
          onCancel={stopEditing}
          onSave={async (text) => {
            await onEdit(text);
            stopEditing();
          }}
        />
      ) : (
        m.text !== '' && <MessageText text={m.text} names={mentioned} />
      )}
      {!m.deleted && m.attachments.length > 0 && <AttachmentList spaceId={m.spaceId} attachments={m.attachments} />}
      {own && !m.deleted && !editing && (
        <Group gap={4} mt={2}>
          <Button ref={editButton} size="compact-xs" variant="subtle" onClick={() => setEditing(true)} aria-label={`Edit your message ${gist}`}>
            Edit
          </Button>
          <Button size="compact-xs" variant="subtle" color="red" onClick={onDelete} aria-label={`Delete your message ${gist}`}>
            Delete
          </Button>
        </Group>
      )}
    </Box>
  );
}

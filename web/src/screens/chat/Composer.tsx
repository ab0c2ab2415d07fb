import { Button, Group, Paper, Stack, Text, Textarea } from '@mantine/core';
import { useRef, useState, type KeyboardEvent, type Ref } from 'react';
import type { AttachmentUpload } from '../../../../src/contract/api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useSubmit } from '../../useSubmit.js';
import { PendingAttachments } from './PendingAttachments.js';
import type { Attachments } from './use-attachments.js';

interface Props {
  /** What the conversation is called, for the text box's label ("Message #general"). */
  label: string;
  attachments: Attachments;
  textRef: Ref<HTMLTextAreaElement>;
  onSend: (text: string, attachments: AttachmentUpload[]) => Promise<void>;
}

/** The text of the next message and its files: Enter sends, Shift+Enter starts a new line. */
export function Composer({ label, attachments, textRef, onSend }: Props) {
  const [text, setText] = useState('');
  const picker = useRef<HTMLInputElement>(null);
  const empty = text.trim() === '' && attachments.ready.length === 0;
  const { busy, problem, onSubmit } = useSubmit(async () => {
    if (empty || attachments.uploading) return;
    await onSend(text.trim(), attachments.ready);
    setText('');
    attachments.clear();
  });
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      if (!busy) e.currentTarget.form?.requestSubmit();
    }
  };

  return (
    <Paper withBorder p="xs" shadow="xs" style={{ position: 'sticky', bottom: 0, zIndex: 2 }}>
      <form onSubmit={onSubmit} aria-label={`Write to ${label}`}>
        <Stack gap={6}>
          {problem && <ProblemAlert problem={problem} title="The message was not sent" />}
          {attachments.problem && <ProblemAlert problem={attachments.problem} title="Some files were left out" />}
          <PendingAttachments items={attachments.items} onRemove={attachments.remove} />
          <Textarea
            ref={textRef}
            aria-label={`Message ${label}`}
            aria-describedby="composer-help"
            placeholder={`Message ${label}`}
            value={text}
            onChange={(e) => setText(e.currentTarget.value)}
            onKeyDown={onKeyDown}
            autosize
            minRows={1}
            maxRows={8}
          />
          <Group justify="space-between" wrap="wrap" gap="xs">
            <Text size="xs" c="dimmed" id="composer-help">
              Enter sends, Shift+Enter starts a new line. Drop files here to attach them.
            </Text>
            <Group gap="xs" wrap="nowrap">
              <Button variant="default" size="sm" onClick={() => picker.current?.click()}>
                Attach files
              </Button>
              <Button type="submit" size="sm" loading={busy} disabled={empty || attachments.uploading}>
                Send
              </Button>
            </Group>
          </Group>
          <input
            ref={picker}
            type="file"
            multiple
            hidden
            aria-hidden
            tabIndex={-1}
            data-testid="attach-picker"
            onChange={(e) => {
              attachments.add(Array.from(e.currentTarget.files ?? []));
              e.currentTarget.value = '';
            }}
          />
        </Stack>
      </form>
    </Paper>
  );
}

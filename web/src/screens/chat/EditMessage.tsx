import { Button, Group, Stack, Textarea } from '@mantine/core';
import { useState, type KeyboardEvent } from 'react';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useSubmit } from '../../useSubmit.js';

/** The text of one's own message, changed in place: Enter saves, Shift+Enter a new line, Escape cancels. */
export function EditMessage({ text, onSave, onCancel }: { text: string; onSave: (text: string) => Promise<void>; onCancel: () => void }) {
  const [value, setValue] = useState(text);
  const { busy, problem, onSubmit } = useSubmit(() => onSave(value.trim()));
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      onCancel();
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      e.currentTarget.form?.requestSubmit();
    }
  };
  return (
    <form onSubmit={onSubmit}>
      <Stack gap="xs">
        <Textarea aria-label="Edit your message" value={value} onChange={(e) => setValue(e.currentTarget.value)} onKeyDown={onKeyDown} autosize minRows={1} maxRows={8} autoFocus />
        {problem && <ProblemAlert problem={problem} title="The message was not changed" />}
        <Group gap="xs">
          <Button type="submit" size="compact-sm" loading={busy} disabled={value.trim() === ''}>
            Save
          </Button>
          <Button size="compact-sm" variant="default" onClick={onCancel}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

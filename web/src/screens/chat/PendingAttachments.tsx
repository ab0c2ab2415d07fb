import { CloseButton, Group, Progress, Stack, Text } from '@mantine/core';
import { bytes } from '../../format.js';
import { PaperClip } from './PaperClip.js';
import type { PendingAttachment } from './use-attachments.js';

/** The files waiting to go with the next message, each with its upload's progress or failure and a remove button. */
export function PendingAttachments({ items, onRemove }: { items: readonly PendingAttachment[]; onRemove: (key: number) => void }) {
  if (items.length === 0) return null;
  return (
    <Stack gap={4} component="ul" aria-label="Files to send" p={0} m={0} style={{ listStyle: 'none' }}>
      {items.map((i) => (
        <li key={i.key} data-testid="pending-attachment">
          <Group gap="xs" wrap="nowrap">
            <Text size="sm" truncate style={{ flex: 1, minWidth: 0 }}>
              <PaperClip />
              {i.name} <Text span size="xs" c="dimmed">({bytes(i.size)})</Text>
            </Text>
            <Text size="xs" c={i.problem ? 'red.9' : 'dimmed'} role="status">
              {i.problem ? `Failed: ${i.problem.message}` : i.uploaded ? 'Ready' : 'Uploading…'}
            </Text>
            <CloseButton size="sm" aria-label={`Remove ${i.name}`} onClick={() => onRemove(i.key)} />
          </Group>
          {!i.uploaded && !i.problem && <Progress value={i.size === 0 ? 0 : (100 * i.sent) / i.size} size="xs" aria-label={`Upload of ${i.name}`} />}
        </li>
      ))}
    </Stack>
  );
}

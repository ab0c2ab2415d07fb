import { Anchor, Group, List, Text } from '@mantine/core';
import type { AttachmentSummary } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { bytes } from '../../format.js';
import { PaperClip } from './PaperClip.js';

/** A message's files, each a download (the node fetches one from a peer first when it is not here yet). */
export function AttachmentList({ spaceId, attachments }: { spaceId: string; attachments: readonly AttachmentSummary[] }) {
  return (
    <List listStyleType="none" spacing={2} mt={4} aria-label="Attachments">
      {attachments.map((a) => (
        <List.Item key={a.attachmentId}>
          <Group gap={6} wrap="wrap">
            <Anchor href={api.chat.attachmentUrl(spaceId, a.attachmentId)} download={a.name} aria-label={`Download ${a.name}`} style={{ overflowWrap: 'anywhere' }}>
              <PaperClip />
              {a.name}
            </Anchor>
            <Text span size="xs" c="dimmed">
              {bytes(a.size)}
              {!a.available && ', fetched from a peer when you open it'}
            </Text>
          </Group>
        </List.Item>
      ))}
    </List>
  );
}

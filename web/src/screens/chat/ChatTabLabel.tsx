import { Badge, Group, VisuallyHidden } from '@mantine/core';
import type { ChannelSummary } from '../../../../src/contract/api.js';

/** "Chat" with the number of messages not read yet in all the space's conversations. */
export function ChatTabLabel({ channels }: { channels: readonly ChannelSummary[] | undefined }) {
  const unread = (channels ?? []).reduce((n, c) => n + c.unread, 0);
  return (
    <Group gap={6} wrap="nowrap" component="span">
      Chat
      {unread > 0 && (
        <Badge size="sm" variant="filled" data-testid="chat-unread">
          {unread}
          <VisuallyHidden> unread</VisuallyHidden>
        </Badge>
      )}
    </Group>
  );
}

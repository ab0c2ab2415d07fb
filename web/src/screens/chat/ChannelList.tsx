import { Badge, Box, Button, Group, NavLink, Stack, Text, Title, VisuallyHidden } from '@mantine/core';
import type { ReactNode, Ref } from 'react';
import type { ChannelSummary, Member } from '../../../../src/contract/api.js';
import { href } from '../../route.js';
import { paramOf, presenceOf } from './chat-target.js';
import { PresenceDot } from './PresenceDot.js';

interface Props {
  spaceId: string;
  channels: readonly ChannelSummary[];
  members: readonly Member[];
  /** The listed conversation that is open, if any. */
  current: string | null;
  admin: boolean;
  newChannelRef: Ref<HTMLButtonElement>;
  newDirectRef: Ref<HTMLButtonElement>;
  onNewChannel: () => void;
  onNewDirect: () => void;
}

function Unread({ count }: { count: number }) {
  if (count === 0) return null;
  return (
    <Badge size="sm" variant="filled" data-testid="unread">
      {count}
      <VisuallyHidden> unread</VisuallyHidden>
    </Badge>
  );
}

/** The conversations of a space: channels first (general on top), then direct ones, each with its unread count. */
export function ChannelList({ spaceId, channels, members, current, admin, newChannelRef, newDirectRef, onNewChannel, onNewDirect }: Props) {
  const rooms = channels.filter((c) => c.kind !== 'direct').sort((a, b) => Number(b.kind === 'general') - Number(a.kind === 'general') || a.name.localeCompare(b.name));
  const direct = channels.filter((c) => c.kind === 'direct').sort((a, b) => (b.lastMessageAt ?? 0) - (a.lastMessageAt ?? 0));
  const byId = new Map(members.map((m) => [m.memberId, m]));
  const link = (c: ChannelSummary, label: ReactNode, description?: string) => (
    <NavLink
      key={c.channelId}
      href={href({ screen: 'chat', spaceId, channel: paramOf(c) })}
      label={label}
      description={description}
      active={current === c.channelId}
      aria-current={current === c.channelId ? 'page' : undefined}
      rightSection={<Unread count={c.unread} />}
      styles={{ label: { fontWeight: c.unread > 0 ? 700 : undefined } }}
    />
  );

  return (
    <Stack gap="xs" component="nav" aria-label="Conversations">
      <Title order={2} size="h5">
        Channels
      </Title>
      <Box>
        {rooms.map((c) =>
          link(
            c,
            <>
              <span aria-hidden># </span>
              {c.name}
            </>,
            c.kind === 'private' ? `private, ${c.members} member${c.members === 1 ? '' : 's'}` : undefined,
          ),
        )}
        {admin && (
          <Button ref={newChannelRef} size="compact-sm" variant="subtle" onClick={onNewChannel} mt={4}>
            <span aria-hidden>+&nbsp;</span>New channel
          </Button>
        )}
      </Box>
      <Title order={2} size="h5" mt="sm">
        Direct messages
      </Title>
      <Box>
        {direct.map((c) => {
          const other = c.with ? byId.get(c.with) : undefined;
          const name = other?.name ?? c.name.replace(/^@/, '');
          return link(
            c,
            <Group gap={6} wrap="nowrap" component="span">
              <PresenceDot presence={presenceOf(other)} name={name} />
              <span>{name}</span>
            </Group>,
          );
        })}
        {direct.length === 0 && (
          <Text size="sm" c="dimmed" px="sm">
            None yet
          </Text>
        )}
        <Button ref={newDirectRef} size="compact-sm" variant="subtle" onClick={onNewDirect} mt={4}>
          <span aria-hidden>+&nbsp;</span>New message
        </Button>
      </Box>
    </Stack>
  );
}

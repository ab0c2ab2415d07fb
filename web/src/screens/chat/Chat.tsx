import { Anchor, Box, Divider, Group, Stack, Text } from '@mantine/core';
import { useMediaQuery } from '@mantine/hooks';
import { useRef, useState } from 'react';
import type { ChannelSummary, Space } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useLive, type Live } from '../../live.js';
import { href, navigate } from '../../route.js';
import { ChannelList } from './ChannelList.js';
import { aboutPeople, defaultParam, findChannel, paramOf, targetOf } from './chat-target.js';
import { Conversation } from './Conversation.js';
import { DirectMessageDialog } from './DirectMessageDialog.js';
import { NewChannelDialog } from './NewChannelDialog.js';
import { NotificationsControl } from './NotificationsControl.js';
import { OwnStatus } from './OwnStatus.js';

/**
 * A space's chat: the conversations beside the open one (on a phone, one or the other), with
 * the user's own status and notifications under the list. `channels` is the space screen's
 * (its tab shows the unread count too).
 */
export function Chat({ space, channel, channels }: { space: Space; channel: string; channels: Live<ChannelSummary[]> }) {
  const spaceId = space.spaceId;
  const members = useLive((signal) => api.members(spaceId, signal), `members-${spaceId}`, aboutPeople(spaceId));
  const phone = useMediaQuery('(max-width: 48em)', false, { getInitialValueInEffect: false });
  const [dialog, setDialog] = useState<'channel' | 'direct' | null>(null);
  // A fresh dialog per opening, kept while it closes so that the focus returns to its button.
  const [round, setRound] = useState(0);
  const channelButton = useRef<HTMLButtonElement>(null);
  const directButton = useRef<HTMLButtonElement>(null);
  // No conversation named: general, or for a guest (who is not in general) the first one listed.
  const param = channel || defaultParam(channels.data);
  const target = param ? targetOf(param) : null;
  const listed = target ? findChannel(channels.data, target) : undefined;
  const people = members.data ?? [];
  const selfId = people.find((m) => m.self)?.memberId;
  const open = (which: 'channel' | 'direct') => {
    setRound((n) => n + 1);
    setDialog(which);
  };
  const go = (param: string) => navigate({ screen: 'chat', spaceId, channel: param });
  const showList = !phone || channel === '';
  const showConversation = !phone || channel !== '';

  return (
    <>
      {channels.problem && <ProblemAlert problem={channels.problem} />}
      {members.problem && <ProblemAlert problem={members.problem} />}
      <Group align="flex-start" wrap="nowrap" gap="xl">
        {showList && (
          <Stack w={phone ? '100%' : 250} gap="md" style={phone ? undefined : { flex: 'none', position: 'sticky', top: 72 }}>
            <ChannelList
              spaceId={spaceId}
              channels={channels.data ?? []}
              members={people}
              current={listed?.channelId ?? null}
              admin={space.role === 'admin'}
              newChannelRef={channelButton}
              newDirectRef={directButton}
              onNewChannel={() => open('channel')}
              onNewDirect={() => open('direct')}
            />
            <Divider />
            <OwnStatus selfId={selfId} />
            <NotificationsControl />
          </Stack>
        )}
        {showConversation && (
          <Box style={{ flex: 1, minWidth: 0 }}>
            {phone && (
              <Anchor href={href({ screen: 'chat', spaceId, channel: '' })} size="sm" display="inline-block" mb="xs">
                <span aria-hidden>← </span>All conversations
              </Anchor>
            )}
            {target && (
              <Conversation
                key={param}
                spaceId={spaceId}
                target={target}
                listed={listed}
                members={people}
                // The node counted it as read: the unread counts follow (always: a count may have been loaded just before).
                onRead={channels.reload}
              />
            )}
            {param === '' && (
              <Text c="dimmed" py="md">
                You are in no conversation yet. Write to someone with “New message”.
              </Text>
            )}
          </Box>
        )}
      </Group>
      {round > 0 && (
        <NewChannelDialog
          key={`c${round}`}
          spaceId={spaceId}
          members={people}
          opened={dialog === 'channel'}
          onClose={() => setDialog(null)}
          onClosed={() => channelButton.current?.focus()}
          onCreated={(c) => {
            setDialog(null);
            channels.reload();
            go(paramOf(c));
          }}
        />
      )}
      {round > 0 && (
        <DirectMessageDialog
          key={`d${round}`}
          members={people}
          opened={dialog === 'direct'}
          onClose={() => setDialog(null)}
          onClosed={() => directButton.current?.focus()}
          onPick={(memberId) => {
            setDialog(null);
            go(`@${memberId}`);
          }}
        />
      )}
    </>
  );
}

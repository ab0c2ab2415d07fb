import { Badge, Button, Group, Tabs, Text } from '@mantine/core';
import { useRef, useState } from 'react';
import { api } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { roleLabel } from '../format.js';
import { aboutSpace, useLive } from '../live.js';
import { navigate } from '../route.js';
import { Chat } from './chat/Chat.js';
import { ChatTabLabel } from './chat/ChatTabLabel.js';
import { Conflicts } from './Conflicts.js';
import { Folders } from './Folders.js';
import { History } from './History.js';
import { InviteDialog } from './InviteDialog.js';
import { Members } from './Members.js';

const TABS = ['folders', 'chat', 'members', 'conflicts', 'history'] as const;

/** A space's tabs; `channel` is the chat's open conversation (see route.ts). */
export function SpaceScreen({ spaceId, tab, channel = '' }: { spaceId: string; tab: string; channel?: string }) {
  const spaces = useLive((signal) => api.spaces(signal), 'spaces', aboutSpace(spaceId));
  // Here rather than in the chat: the tab shows the unread count wherever one is in the space.
  const channels = useLive((signal) => api.chat.channels(spaceId, signal), `chat-channels-${spaceId}`, aboutSpace(spaceId));
  const [inviting, setInviting] = useState(false);
  // A new dialog per opening (fresh form), but the same one while it closes, so focus returns to the button.
  const [inviteRound, setInviteRound] = useState(0);
  const inviteButton = useRef<HTMLButtonElement>(null);
  const space = spaces.data?.find((s) => s.spaceId === spaceId);
  const current = (TABS as readonly string[]).includes(tab) ? tab : 'folders';

  if (spaces.problem) return <ProblemAlert problem={spaces.problem} />;
  if (!spaces.data) return null;
  if (!space) return <ProblemAlert problem={{ code: 'NOT_FOUND', message: 'This device is not in that space (any more).', hint: 'Pick a space in the list.' }} />;
  const admin = space.role === 'admin';

  return (
    <>
      <Group justify="space-between" align="flex-start" wrap="wrap">
        <div>
          <PageTitle>{space.name}</PageTitle>
          <Group gap="xs" mt={-8} mb="md">
            {space.role && <Badge variant="light">You: {roleLabel[space.role]}</Badge>}
            <Text size="sm" c="dimmed">
              Folders go to {space.dir}
            </Text>
          </Group>
        </div>
        {admin && (
          <Button
            ref={inviteButton}
            onClick={() => {
              setInviteRound((n) => n + 1);
              setInviting(true);
            }}
          >
            Invite people
          </Button>
        )}
      </Group>
      <Tabs value={current} onChange={(value) => value && navigate(value === 'chat' ? { screen: 'chat', spaceId, channel: '' } : { screen: 'space', spaceId, tab: value })} keepMounted={false}>
        <Tabs.List mb="md">
          <Tabs.Tab value="folders">Folders</Tabs.Tab>
          <Tabs.Tab value="chat">
            <ChatTabLabel channels={channels.data} />
          </Tabs.Tab>
          <Tabs.Tab value="members">Members</Tabs.Tab>
          <Tabs.Tab value="conflicts">Conflicts</Tabs.Tab>
          <Tabs.Tab value="history">History</Tabs.Tab>
        </Tabs.List>
        <Tabs.Panel value="folders">
          <Folders space={space} />
        </Tabs.Panel>
        <Tabs.Panel value="chat">
          <Chat space={space} channel={channel} channels={channels} />
        </Tabs.Panel>
        <Tabs.Panel value="members">
          <Members space={space} />
        </Tabs.Panel>
        <Tabs.Panel value="conflicts">
          <Conflicts spaceId={spaceId} />
        </Tabs.Panel>
        <Tabs.Panel value="history">
          <History spaceId={spaceId} />
        </Tabs.Panel>
      </Tabs>
      {inviteRound > 0 && <InviteDialog key={inviteRound} opened={inviting} space={space} onClose={() => setInviting(false)} onClosed={() => inviteButton.current?.focus()} />}
    </>
  );
}

import { AppShell, Badge, Burger, Group, NavLink, ScrollArea, Text, Title } from '@mantine/core';
import { useDisclosure, useMediaQuery } from '@mantine/hooks';
import { useEffect } from 'react';
import { api } from '../api.js';
import { useLive, useLiveContext } from '../live.js';
import { href, useRoute, type Route } from '../route.js';
import { Activity } from '../screens/Activity.js';
import { FolderBrowser } from '../screens/FolderBrowser.js';
import { Home } from '../screens/Home.js';
import { Settings } from '../screens/Settings.js';
import { SpaceScreen } from '../screens/SpaceScreen.js';
import { useAutoAway } from '../screens/chat/use-auto-away.js';
import { useChatNotifications } from '../screens/chat/use-chat-notifications.js';

function Screen({ route }: { route: Route }) {
  switch (route.screen) {
    case 'home':
      return <Home />;
    case 'join':
      return <Home joinCode={route.code} />;
    case 'space':
      return <SpaceScreen spaceId={route.spaceId} tab={route.tab} />;
    case 'chat':
      return <SpaceScreen spaceId={route.spaceId} tab="chat" channel={route.channel} />;
    case 'folder':
      return <FolderBrowser spaceId={route.spaceId} folderId={route.folderId} path={route.path} />;
    case 'activity':
      return <Activity />;
    case 'settings':
      return <Settings />;
  }
}

export function Shell() {
  const route = useRoute();
  const [opened, { toggle, close }] = useDisclosure(false);
  const { connected } = useLiveContext();
  const spaces = useLive((signal) => api.spaces(signal), 'spaces', (e) => e.type === 'space.changed' || e.type === 'hello');
  // Off screen is not gone: a closed menu on a phone must not take Tab presses or be read out.
  const phone = useMediaQuery('(max-width: 48em)');
  const hidden = phone === true && !opened;
  const current = route.screen === 'space' || route.screen === 'folder' || route.screen === 'chat' ? route.spaceId : null;

  useEffect(close, [route, close]);
  // Wherever one is in the app: away after a while hidden, and notifications of new messages.
  useAutoAway();
  useChatNotifications();

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 260, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="sm" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label={opened ? 'Close navigation' : 'Open navigation'} aria-expanded={opened} aria-controls="main-navigation" />
            <Title order={2} size="h3">
              <a href="#/" style={{ color: 'inherit', textDecoration: 'none' }}>
                Agora
              </a>
            </Title>
          </Group>
          <Badge color={connected ? 'teal' : 'gray'} variant="light" role="status">
            {connected ? 'Live' : 'Connecting…'}
          </Badge>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="sm" aria-label="Main" inert={hidden} style={hidden ? { visibility: 'hidden' } : undefined} id="main-navigation">
        <AppShell.Section grow component={ScrollArea}>
          <NavLink href="#/" label="Spaces" active={route.screen === 'home'} onClick={close} />
          <Text size="xs" c="dimmed" tt="uppercase" fw={700} mt="sm" mb={4} px="sm" id="nav-spaces">
            Your spaces
          </Text>
          <nav aria-labelledby="nav-spaces">
            {(spaces.data ?? []).map((s) => (
              <NavLink key={s.spaceId} href={href({ screen: 'space', spaceId: s.spaceId, tab: 'folders' })} label={s.name} active={current === s.spaceId} aria-current={current === s.spaceId ? 'page' : undefined} onClick={close} />
            ))}
            {spaces.data?.length === 0 && (
              <Text size="sm" c="dimmed" px="sm">
                None yet
              </Text>
            )}
          </nav>
        </AppShell.Section>
        <AppShell.Section>
          <NavLink href="#/activity" label="Activity" active={route.screen === 'activity'} onClick={close} />
          <NavLink href="#/settings" label="Settings" active={route.screen === 'settings'} onClick={close} />
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <main id="main">
          <Screen route={route} />
        </main>
      </AppShell.Main>
    </AppShell>
  );
}

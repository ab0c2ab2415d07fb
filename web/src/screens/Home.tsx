import { Badge, Button, Card, Group, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import { api } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { useSubmit } from '../useSubmit.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { roleLabel } from '../format.js';
import { useLive } from '../live.js';
import { href, navigate } from '../route.js';

/** Spaces: the ones this device is in, a new one, or one to join with an invite link. */
export function Home({ joinCode = '' }: { joinCode?: string }) {
  const spaces = useLive((signal) => api.spaces(signal), 'spaces', (e) => e.type === 'space.changed');
  return (
    <Stack gap="xl">
      <section aria-labelledby="spaces-title">
        <PageTitle>
          <span id="spaces-title">Spaces</span>
        </PageTitle>
        {spaces.problem && <ProblemAlert problem={spaces.problem} />}
        {spaces.data?.length === 0 && <Text>You are not in any space yet. Create one for your team, or join one with the invite link someone sent you.</Text>}
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          {(spaces.data ?? []).map((s) => (
            <Card key={s.spaceId} withBorder component="a" href={href({ screen: 'space', spaceId: s.spaceId, tab: 'folders' })} aria-label={`Open space ${s.name}`}>
              <Group justify="space-between" wrap="nowrap">
                <Text fw={600} truncate>
                  {s.name}
                </Text>
                {s.role && <Badge variant="light">{roleLabel[s.role]}</Badge>}
              </Group>
              <Text size="sm" c="dimmed">
                {s.members} member{s.members === 1 ? '' : 's'}
              </Text>
            </Card>
          ))}
        </SimpleGrid>
      </section>
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <CreateSpace />
        <JoinSpace initial={joinCode} />
      </SimpleGrid>
    </Stack>
  );
}

function CreateSpace() {
  const [name, setName] = useState('');
  const { busy, problem, onSubmit } = useSubmit(async () => {
    const space = await api.createSpace({ name: name.trim() });
    navigate({ screen: 'space', spaceId: space.spaceId, tab: 'folders' });
  });
  return (
    <Card withBorder component="section" aria-labelledby="create-title">
      <form onSubmit={onSubmit}>
        <Stack>
          <Title order={2} size="h4" id="create-title">
            Create a space
          </Title>
          <TextInput label="Name of the space" placeholder="e.g. Acme team" value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={100} />
          {problem && <ProblemAlert problem={problem} title="The space was not created" />}
          <Button type="submit" loading={busy} disabled={name.trim() === ''} w="fit-content">
            Create space
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

function JoinSpace({ initial }: { initial: string }) {
  const [code, setCode] = useState(initial);
  const { busy, problem, onSubmit } = useSubmit(async () => {
    const space = await api.join({ code: code.trim() });
    navigate({ screen: 'space', spaceId: space.spaceId, tab: 'folders' });
  });
  return (
    <Card withBorder component="section" aria-labelledby="join-title">
      <form onSubmit={onSubmit}>
        <Stack>
          <Title order={2} size="h4" id="join-title">
            Join a space
          </Title>
          <TextInput
            label="Invite link"
            description="Paste the link you received (agora://join/…)"
            value={code}
            onChange={(e) => setCode(e.currentTarget.value)}
            required
            autoComplete="off"
            spellCheck={false}
          />
          {problem && <ProblemAlert problem={problem} title="Could not join" />}
          <Button type="submit" loading={busy} disabled={code.trim() === ''} w="fit-content">
            Join
          </Button>
          {busy && (
            <Text size="sm" role="status">
              Contacting the person who invited you…
            </Text>
          )}
        </Stack>
      </form>
    </Card>
  );
}

import { Button, Card, Code, Group, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useState, type FormEvent } from 'react';
import { api, problemOf, type Problem } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { useLive } from '../live.js';

/** This device: its name (editable), addresses and discovery; what only the command line sets is said so. */
export function Settings() {
  const status = useLive((signal) => api.status(signal), 'status', (e) => e.type === 'dht.status');
  const peers = useLive((signal) => api.peers(signal), 'peers', (e) => e.type === 'peer.connected' || e.type === 'peer.disconnected');
  const s = status.data;
  const signOut = async () => {
    await api.logout().catch(() => undefined);
    location.reload();
  };

  return (
    <Stack>
      <PageTitle>Settings</PageTitle>
      {status.problem && <ProblemAlert problem={status.problem} />}
      {s && <NameForm key={s.name} current={s.name} onSaved={status.reload} />}
      {s && (
        <Card withBorder component="section" aria-labelledby="device-title">
          <Title order={2} size="h4" id="device-title" mb="sm">
            This device
          </Title>
          <Table variant="vertical" layout="fixed">
            <Table.Tbody>
              <Table.Tr>
                <Table.Th w={160}>Device id</Table.Th>
                <Table.Td style={{ wordBreak: 'break-all' }}>{s.deviceId}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Version</Table.Th>
                <Table.Td>{s.version}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Addresses</Table.Th>
                <Table.Td>{s.listen.join(', ') || 'none'}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Internet discovery</Table.Th>
                <Table.Td>{s.dht}</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Web app</Table.Th>
                <Table.Td>{s.api}/</Table.Td>
              </Table.Tr>
              <Table.Tr>
                <Table.Th>Connected peers</Table.Th>
                <Table.Td>{(peers.data ?? []).filter((p) => p.connected).map((p) => `${p.name} (${p.transport ?? '?'})`).join(', ') || 'none'}</Table.Td>
              </Table.Tr>
            </Table.Tbody>
          </Table>
          <Text size="sm" mt="md">
            Addresses, bootstrap nodes and discovery are chosen when the node starts, for example <Code>agora start --listen 0.0.0.0:7000 --bootstrap host:port</Code> or{' '}
            <Code>--no-dht</Code>. Bandwidth limits do not exist yet.
          </Text>
        </Card>
      )}
      <Card withBorder component="section" aria-labelledby="session-title">
        <Title order={2} size="h4" id="session-title" mb="sm">
          This browser
        </Title>
        <Button variant="default" onClick={() => void signOut()}>
          Sign out
        </Button>
      </Card>
    </Stack>
  );
}

function NameForm({ current, onSaved }: { current: string; onSaved: () => void }) {
  const [name, setName] = useState(current);
  const [saved, setSaved] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);

  const save = async (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    setSaved(false);
    try {
      await api.setName(name.trim());
      setSaved(true);
      onSaved();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="name-title">
        <form onSubmit={(e) => void save(e)}>
          <Stack>
            <Title order={2} size="h4" id="name-title">
              Your name
            </Title>
            <TextInput label="Display name" description="New members see it; members who joined earlier keep the name they first saw." value={name} onChange={(e) => setName(e.currentTarget.value)} required maxLength={100} />
            {problem && <ProblemAlert problem={problem} title="Not saved" />}
            <Group>
              <Button type="submit" disabled={name.trim() === '' || name === current}>
                Save name
              </Button>
              <div role="status">{saved && <Text c="teal">Saved</Text>}</div>
            </Group>
          </Stack>
        </form>
      </Card>
  );
}

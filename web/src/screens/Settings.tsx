import { Button, Card, Stack, Table, Title } from '@mantine/core';
import type { SettingsResponse, StatusResponse } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { useLive } from '../live.js';
import { NameForm } from './settings/NameForm.js';
import { NodeSettingsForm } from './settings/NodeSettingsForm.js';

/** This device: its name, what the node starts with and its limits, and what it runs with now. */
export function Settings() {
  const status = useLive((signal) => api.status(signal), 'status', (e) => e.type === 'dht.status');
  const settings = useLive((signal) => api.settings(signal), 'settings', () => false);
  const signOut = async () => {
    await api.logout().catch(() => undefined);
    location.reload();
  };

  return (
    <Stack>
      <PageTitle>Settings</PageTitle>
      {(status.problem ?? settings.problem) && <ProblemAlert problem={(status.problem ?? settings.problem)!} />}
      {settings.data && <NameForm key={settings.data.name} current={settings.data.name} onSaved={settings.reload} />}
      {settings.data && <NodeSettingsForm current={settings.data} onSaved={settings.reload} />}
      {status.data && settings.data && <DeviceCard status={status.data} settings={settings.data} />}
      <Card withBorder component="section" aria-labelledby="session-title">
        <Title order={2} size="h4" id="session-title" mb="sm">
          This browser
        </Title>
        <Button variant="default" onClick={() => void signOut()} w="fit-content">
          Sign out
        </Button>
      </Card>
    </Stack>
  );
}

function DeviceCard({ status, settings }: { status: StatusResponse; settings: SettingsResponse }) {
  const peers = useLive((signal) => api.peers(signal), 'peers', (e) => e.type === 'peer.connected' || e.type === 'peer.disconnected');
  const r = settings.running;
  const rows: [string, string][] = [
    ['Device id', status.deviceId],
    ['Version', status.version],
    ['Listening on', status.listen.join(', ') || 'none'],
    ['Internet discovery', `${status.dht}${r.dht && r.bootstrap.length > 0 ? ` (bootstrap ${r.bootstrap.join(', ')})` : ''}`],
    ['Local network discovery', r.mdns ? 'on' : 'off'],
    ['Web app', `${status.api}/`],
    ['Old versions kept', `${r.versionRetentionDays} days`],
    ['Full rescan', `every ${r.rescanIntervalMinutes} minutes`],
    ['Largest upload', settings.settings.maxUploadMb > 0 ? `${settings.settings.maxUploadMb} MB` : 'no limit'],
    ['Connected peers', (peers.data ?? []).filter((p) => p.connected).map((p) => `${p.name} (${p.transport ?? '?'})`).join(', ') || 'none'],
  ];
  return (
    <Card withBorder component="section" aria-labelledby="device-title">
      <Title order={2} size="h4" id="device-title" mb="sm">
        This device now
      </Title>
      <Table variant="vertical" layout="fixed">
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={180}>{label}</Table.Th>
              <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Card>
  );
}

import { List, Stack, Text } from '@mantine/core';
import type { EventMessage } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { shortId } from '../format.js';
import { useLive, useLiveContext } from '../live.js';

type Data = Record<string, unknown>;

function describe(e: EventMessage, folderName: (id: string) => string): string | null {
  const d = (e.data ?? {}) as Data;
  const folder = typeof d.folderId === 'string' ? folderName(d.folderId) : '';
  const device = typeof d.name === 'string' && d.name ? d.name : typeof d.deviceId === 'string' ? `Device ${shortId(d.deviceId)}` : 'A device';
  switch (e.type) {
    case 'member.online':
      return `${device} came online`;
    case 'member.offline':
      return `${device} went offline`;
    case 'space.changed':
      return 'A space changed (members, roles or folders)';
    case 'folder.added':
      return `Folder ${folder} is now shared here`;
    case 'folder.removed':
      return `Folder ${folder} is no longer synced here`;
    case 'folder.state':
      return d.state === 'error' ? `Folder ${folder} has a problem: ${String(d.error)}` : null;
    case 'folder.pulled':
      return `${d.deleted ? 'Deleted' : 'Received'} ${folder}/${String(d.path)}`;
    case 'folder.conflict':
      return `Conflict in ${folder}/${String(d.path)}: both versions kept`;
    case 'sync.badBlock':
      return `A peer sent damaged data for ${folder}/${String(d.path)}; it was refused`;
    case 'dht.status':
      return `Internet discovery is ${String(d.status)}`;
    default:
      return null;
  }
}

/** What happened since this page was opened, newest first, as the node reports it. */
export function Activity() {
  const { activity } = useLiveContext();
  const folders = useLive((signal) => api.folders(undefined, signal), 'all-folders', (e) => e.type === 'folder.added');
  const names = new Map((folders.data ?? []).map((f) => [f.folderId, `${f.spaceName}/${f.name}`]));
  const lines = activity.flatMap((e, i) => {
    const text = describe(e, (id) => names.get(id) ?? shortId(id));
    return text ? [{ key: `${e.at}-${i}`, text, at: e.at }] : [];
  });
  return (
    <Stack>
      <PageTitle>Activity</PageTitle>
      {lines.length === 0 && <Text>Nothing has happened since you opened Agora. Files that arrive, people who come online and conflicts show up here.</Text>}
      <List spacing="xs" listStyleType="none" aria-label="Activity" aria-live="polite">
        {lines.map((line) => (
          <List.Item key={line.key}>
            <Text size="sm">{line.text}</Text>
            <Text size="xs" c="dimmed">
              {new Date(line.at).toLocaleTimeString()}
            </Text>
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}

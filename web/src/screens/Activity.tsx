import { List, Stack, Text } from '@mantine/core';
import type { ActivityItem } from '../../../src/contract/api.js';
import { PageTitle } from '../components/PageTitle.js';
import { roleLabel, shortId } from '../format.js';
import { useLiveContext } from '../live.js';

/** One item in words; names were taken by the node when it happened. */
export function describeActivity(item: ActivityItem): string {
  const who = item.name || (item.deviceId ? `Device ${shortId(item.deviceId)}` : 'A device');
  const space = item.spaceName ?? 'a space';
  const folder = item.folderName ? `${item.spaceName ? `${item.spaceName}/` : ''}${item.folderName}` : item.folderId ? `folder ${shortId(item.folderId)}` : 'a folder';
  const role = (roleLabel[item.role ?? 'member'] ?? 'member').toLowerCase();
  switch (item.type) {
    case 'member.online':
      return `${who} came online`;
    case 'member.offline':
      return `${who} went offline`;
    case 'member.joined':
      return `${who} joined ${space} as ${role}`;
    case 'member.removed':
      return `${who} is no longer in ${space}`;
    case 'member.role':
      return `${who} is now ${role} in ${space}`;
    case 'space.added':
      return `You are now in the space ${space}`;
    case 'folder.added':
      return `Folder ${folder} is now shared here`;
    case 'folder.pulled': {
      const more = (item.count ?? 1) - 1;
      const verb = item.deleted ? 'Deleted' : 'Received';
      return `${verb} ${folder}/${item.path ?? ''}${more > 0 ? ` and ${more} more file${more === 1 ? '' : 's'}` : ''}`;
    }
    case 'folder.conflict':
      return `Conflict in ${folder}/${item.path ?? ''}: both versions kept (see Conflicts)`;
    case 'folder.problem':
      return `Folder ${folder} has a problem: ${item.message ?? 'unknown'}`;
    case 'sync.badBlock':
      return `${who} sent damaged data for ${folder}/${item.path ?? ''}; it was refused`;
  }
}

/** What happened lately, newest first: kept by the node, so it survives a page load. */
export function Activity() {
  const { activity } = useLiveContext();
  return (
    <Stack>
      <PageTitle>Activity</PageTitle>
      {activity.length === 0 && <Text>Nothing has happened since Agora started. Files that arrive, people who come online or join, and conflicts show up here.</Text>}
      <List spacing="xs" listStyleType="none" aria-label="Activity" aria-live="polite">
        {activity.map((item) => (
          <List.Item key={item.id} data-testid="activity-item">
            <Text size="sm">{describeActivity(item)}</Text>
            <Text size="xs" c="dimmed">
              {new Date(item.at).toLocaleString()}
            </Text>
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}

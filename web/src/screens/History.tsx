import { List, Stack, Text } from '@mantine/core';
import type { AuditItem } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { roleLabel, shortId, when } from '../format.js';
import { aboutSpace, useLive } from '../live.js';

function describe(item: AuditItem): string {
  if (item.type === 'file.change') return `${item.byName ?? 'Someone'} ${item.deleted ? 'deleted' : 'changed'} ${item.folderName ?? 'a folder'}/${item.path}`;
  const who = item.authorName ?? `Device ${shortId(item.author)}`;
  const member = item.memberName ?? (item.member ? `device ${shortId(item.member)}` : 'someone');
  switch (item.type) {
    case 'space.create':
      return `${who} created the space ${item.spaceName ?? ''}`.trim();
    case 'member.add':
      return `${member} joined as ${roleLabel[item.role ?? 'member']?.toLowerCase()}`;
    case 'member.role':
      return `${who} made ${member} ${roleLabel[item.role ?? 'member']?.toLowerCase()}`;
    case 'member.remove':
      return `${who} removed ${member}`;
    case 'folder.add':
      return `${who} shared the folder ${item.folderName ?? ''}`.trim();
    case 'folder.grant':
      return `${who} set access to ${item.folderName ?? 'a folder'} for ${item.to === 'members' || item.to === 'guests' ? `all ${item.to}` : member}: ${String(item.access)}`;
    default:
      return `${who}: ${item.type}`;
  }
}

/** The space's signed log and the last change of each file, newest first. */
export function History({ spaceId }: { spaceId: string }) {
  const audit = useLive((signal) => api.audit(spaceId, signal), `audit-${spaceId}`, (e) => aboutSpace(spaceId)(e) || e.type === 'folder.pulled', 1000);
  const items = [...(audit.data ?? [])].sort((a, b) => b.at - a.at).slice(0, 200);
  return (
    <Stack>
      {audit.problem && <ProblemAlert problem={audit.problem} />}
      <List spacing="xs" listStyleType="none" aria-label="History of the space">
        {items.map((item, i) => (
          <List.Item key={i}>
            <Text size="sm">
              {describe(item)}
              {'applied' in item && !item.applied && ` (not applied: ${item.reason ?? 'refused'})`}
            </Text>
            <Text size="xs" c="dimmed">
              {when(item.at)}
            </Text>
          </List.Item>
        ))}
      </List>
    </Stack>
  );
}

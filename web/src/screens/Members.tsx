import { Badge, Button, Group, Modal, Select, Stack, Table, Text } from '@mantine/core';
import { useState } from 'react';
import type { Member, Space } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { ScrollTable } from '../components/ScrollTable.js';
import { roleLabel } from '../format.js';
import { aboutSpace, useLive } from '../live.js';
import { href } from '../route.js';
import { useAction } from '../useSubmit.js';
import { aboutPeople, presenceOf } from './chat/chat-target.js';

const ROLES = ['admin', 'member', 'guest'] as const;
/** 'an admin', 'a member', 'a guest'. */
const article = (role: string) => (role === 'admin' ? 'an' : 'a');
const PRESENCE = { online: { label: 'Online', color: 'teal' }, away: { label: 'Away', color: 'orange' }, offline: { label: 'Offline', color: 'gray' } } as const;

/** Who is in the space, who is online or away; a direct message to one; admins change roles and remove people. */
export function Members({ space }: { space: Space }) {
  const members = useLive((signal) => api.members(space.spaceId, signal), `members-${space.spaceId}`, (e) => aboutSpace(space.spaceId)(e) || aboutPeople(space.spaceId)(e));
  const { problem, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const admin = space.role === 'admin';

  const act = async (action: () => Promise<unknown>, said: string) => {
    setDone(null);
    if (await run(action)) setDone(said);
    members.reload();
  };

  return (
    <Stack>
      {members.problem && <ProblemAlert problem={members.problem} />}
      {problem && <ProblemAlert problem={problem} title="The change was not made" />}
      <div role="status" aria-live="polite">
        {done && <Text c="teal.9">{done}</Text>}
      </div>
      <ScrollTable label="Members (scrolls sideways)" minWidth={360}>
        <Table aria-label="Members" verticalSpacing="sm">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Name</Table.Th>
              <Table.Th>Role</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Actions</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(members.data ?? []).map((m) => (
              <Table.Tr key={m.memberId} data-testid="member-row">
                <Table.Td>
                  <Text fw={500}>{m.name}</Text>
                  {m.self && (
                    <Text size="xs" c="dimmed">
                      you
                    </Text>
                  )}
                </Table.Td>
                <Table.Td>
                  {admin && !m.self && m.role !== 'keeper' ? (
                    <Select
                      aria-label={`Role of ${m.name}`}
                      size="xs"
                      w={130}
                      data={ROLES.map((r) => ({ value: r, label: roleLabel[r] ?? r }))}
                      value={m.role}
                      allowDeselect={false}
                      onChange={(v) => v && v !== m.role && void act(() => api.setRole(space.spaceId, m.memberId, { role: v as (typeof ROLES)[number] }), `${m.name} is now ${article(v)} ${roleLabel[v]?.toLowerCase() ?? v}.`)}
                    />
                  ) : (
                    roleLabel[m.role]
                  )}
                </Table.Td>
                <Table.Td>
                  <Badge color={PRESENCE[presenceOf(m)].color} variant="dot" aria-label={`${m.name} is ${presenceOf(m)}`}>
                    {PRESENCE[presenceOf(m)].label}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {!m.self && (
                    <Group gap={4} wrap="nowrap">
                      <Button size="xs" variant="subtle" component="a" href={href({ screen: 'chat', spaceId: space.spaceId, channel: `@${m.memberId}` })} aria-label={`Message ${m.name}`}>
                        Message
                      </Button>
                      {admin && (
                        <Button size="xs" color="red" variant="subtle" onClick={() => setRemoving(m)} aria-label={`Remove ${m.name}`}>
                          Remove
                        </Button>
                      )}
                    </Group>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </ScrollTable>
      <Modal opened={removing !== null} onClose={() => setRemoving(null)} title={`Remove ${removing?.name ?? ''}?`}>
        <Text mb="md">They get nothing new from this space from now on. Files already on their computer stay there: no software can take them back.</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setRemoving(null)}>
            Cancel
          </Button>
          <Button
            color="red"
            onClick={() => {
              const m = removing;
              setRemoving(null);
              if (m) void act(() => api.removeMember(space.spaceId, m.memberId), `${m.name} was removed from ${space.name}.`);
            }}
          >
            Remove
          </Button>
        </Group>
      </Modal>
    </Stack>
  );
}

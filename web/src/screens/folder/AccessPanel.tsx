import { Card, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { useState } from 'react';
import type { Access, EventMessage, GrantAccess } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { ScrollTable } from '../../components/ScrollTable.js';
import { accessLabel, roleLabel } from '../../format.js';
import { aboutSpace, useLive } from '../../live.js';
import { useAction } from '../../useSubmit.js';
import { folderRules, type FolderRules } from './access-rules.js';

const LEVELS = (['none', 'read', 'write'] as const).map((a) => ({ value: a, label: accessLabel[a] ?? a }));
/** For a member with a setting of its own: take it away, so its role's default applies again. */
const ROLE_DEFAULT = { value: 'default', label: 'Role default' };
const ROLE_DEFAULTS = [
  { role: 'members', label: 'Members' },
  { role: 'guests', label: 'Guests' },
] as const;

/**
 * Admins: who may see and change a folder. Every member with their effective access, a control
 * to set one member's access, and the defaults of members and guests who have no setting of
 * their own. Each change is a signed entry of the space log; the list follows the log live.
 */
export function AccessPanel({ spaceId, folderId, folderName }: { spaceId: string; folderId: string; folderName: string }) {
  const logChanged = (e: EventMessage) => e.type === 'space.changed' && aboutSpace(spaceId)(e);
  const people = useLive((signal) => api.folderAccess(folderId, undefined, signal), `access-${folderId}`, logChanged);
  // The access list says what each member may do, the log why (a default or their own setting):
  // the log entries only, no file changes (limit 0), so a busy folder costs nothing here.
  const audit = useLive((signal) => api.audit(spaceId, signal, { limit: 0 }), `audit-${spaceId}`, logChanged, 1000);
  const rules = audit.data ? folderRules(audit.data, folderId) : null;
  const { busy, problem, run } = useAction();
  const [done, setDone] = useState<string | null>(null);

  const grant = async (to: string, who: string, access: GrantAccess) => {
    setDone(null);
    if (await run(() => api.grant(folderId, { to, access }))) {
      setDone(`${who}: ${access === 'default' ? 'back to the default of their role' : (accessLabel[access]?.toLowerCase() ?? access)}.`);
      people.reload();
      audit.reload();
    }
  };

  return (
    <Card withBorder component="section" aria-labelledby="access-title" data-testid="access-panel">
      <Stack gap="sm">
        <Title order={2} size="h4" id="access-title">
          Access
        </Title>
        <Text size="sm">
          Who may see and change {folderName}. Admins always read and write. People with read-only access get every change, but what they change is not sent.
        </Text>
        {rules && (
          <Group grow align="flex-start" wrap="wrap">
            {ROLE_DEFAULTS.map(({ role, label }) => (
              <Select
                key={role}
                label={`${label} (default)`}
                description={`For ${label.toLowerCase()} with no setting of their own`}
                data={LEVELS}
                value={rules.defaults[role]}
                allowDeselect={false}
                disabled={busy}
                onChange={(v) => v && v !== rules.defaults[role] && void grant(role, `${label} by default`, v as Access)}
                miw={200}
              />
            ))}
          </Group>
        )}
        {people.problem && <ProblemAlert problem={people.problem} />}
        {audit.problem && <ProblemAlert problem={audit.problem} title="The defaults could not be read" />}
        {problem && <ProblemAlert problem={problem} title="Access was not changed" />}
        <div role="status" aria-live="polite">
          {done && (
            <Text size="sm" c="teal.9">
              Saved. {done}
            </Text>
          )}
        </div>
        {people.data && (
          <ScrollTable label="Access by person (scrolls sideways)" minWidth={420}>
            <Table aria-label={`Access to ${folderName}`} verticalSpacing="xs">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Role</Table.Th>
                  <Table.Th>Access</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {people.data.map((m) => (
                  <Table.Tr key={m.memberId} data-testid="access-row">
                    <Table.Td>
                      <Text fw={500}>{m.name}</Text>
                    </Table.Td>
                    <Table.Td>{roleLabel[m.role] ?? m.role}</Table.Td>
                    <Table.Td>
                      {m.role === 'admin' || m.role === 'keeper' ? (
                        <Text size="sm">{accessLabel[m.access]}</Text>
                      ) : (
                        <Select
                          aria-label={`Access of ${m.name}`}
                          size="xs"
                          w={170}
                          data={rules?.own.has(m.memberId) ? [...LEVELS, ROLE_DEFAULT] : LEVELS}
                          value={m.access}
                          allowDeselect={false}
                          disabled={busy}
                          onChange={(v) => v && v !== m.access && void grant(m.memberId, m.name, v as GrantAccess)}
                        />
                      )}
                      <Text size="xs" c="dimmed" mt={2}>
                        {why(m.memberId, m.role, rules)}
                      </Text>
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Stack>
    </Card>
  );
}

/** Where a member's access comes from, in words. */
function why(memberId: string, role: string, rules: FolderRules | null): string {
  if (role === 'admin') return 'Admins always';
  if (role === 'keeper') return 'Keepers store only what is public';
  if (!rules) return '';
  if (rules.own.has(memberId)) return 'Set for this person';
  if (rules.creator === memberId) return 'Shared this folder';
  return role === 'guest' ? 'Default for guests' : 'Default for members';
}

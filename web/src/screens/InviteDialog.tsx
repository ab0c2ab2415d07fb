import { Button, CopyButton, Group, Modal, NumberInput, Select, Stack, Table, Text, TextInput } from '@mantine/core';
import { QRCodeSVG } from 'qrcode.react';
import { useState } from 'react';
import type { Access, InviteResponse, Space } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { useSubmit } from '../useSubmit.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { accessLabel, roleLabel, when } from '../format.js';
import { useLive } from '../live.js';

const EXPIRY = [
  { value: String(3600), label: '1 hour' },
  { value: String(24 * 3600), label: '1 day' },
  { value: String(7 * 24 * 3600), label: '7 days' },
  { value: String(30 * 24 * 3600), label: '30 days' },
];
const ROLE_HELP: Record<string, string> = {
  member: 'Members get every folder with its default access.',
  guest: 'Guests (customers, suppliers) see only the folders you grant below.',
  admin: 'Admins can also invite, change roles and remove people.',
};

/** An admin creates an invite: role, expiry, uses and folder access; then sees the link and its QR code. */
export function InviteDialog({ space, opened, onClose, onClosed }: { space: Space; opened: boolean; onClose: () => void; onClosed: () => void }) {
  const folders = useLive((signal) => api.folders(space.spaceId, signal), `folders-${space.spaceId}`, (e) => e.type === 'folder.added');
  const [role, setRole] = useState<'member' | 'guest' | 'admin'>('member');
  const [expires, setExpires] = useState(String(7 * 24 * 3600));
  const [uses, setUses] = useState<number>(1);
  const [grants, setGrants] = useState<Record<string, Access | ''>>({});
  const [invite, setInvite] = useState<InviteResponse | null>(null);
  const { busy, problem, onSubmit } = useSubmit(async () => {
    const chosen = Object.entries(grants).flatMap(([folder, access]) => (access ? [{ folder, access }] : []));
    setInvite(await api.invite(space.spaceId, { role, expiresIn: Number(expires), uses, grants: chosen }));
  });

  return (
    <Modal opened={opened} onClose={onClose} onExitTransitionEnd={onClosed} title={`Invite people to ${space.name}`} size="lg" fullScreen={window.innerWidth < 600}>
      {invite ? (
        <Stack>
          <Text>
            Send this link to the person you invite. It makes them a <strong>{roleLabel[invite.role]?.toLowerCase()}</strong>, works {invite.uses === 1 ? 'once' : `${invite.uses} times`}, until{' '}
            {when(invite.expiresAt)}. Keep Agora running on this computer until they have joined.
          </Text>
          <Group align="flex-end" wrap="nowrap">
            <TextInput label="Invite link" value={invite.link} readOnly style={{ flex: 1 }} onFocus={(e) => e.currentTarget.select()} data-testid="invite-link" />
            <CopyButton value={invite.link}>{({ copied, copy }) => <Button onClick={copy} variant="light">{copied ? 'Copied' : 'Copy'}</Button>}</CopyButton>
          </Group>
          <Group justify="center">
            <QRCodeSVG value={invite.link} size={200} marginSize={2} title="QR code of the invite link, to scan with a phone" role="img" />
          </Group>
          {invite.grants.length > 0 && (
            <Text size="sm">Folder access on joining: {invite.grants.map((g) => `${g.name ?? g.folderId.slice(0, 8)} (${accessLabel[g.access]?.toLowerCase()})`).join(', ')}</Text>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setInvite(null)}>
              Create another
            </Button>
            <Button onClick={onClose}>Done</Button>
          </Group>
        </Stack>
      ) : (
        <form onSubmit={onSubmit}>
          <Stack>
            <Select
              label="Role"
              description={ROLE_HELP[role]}
              data={['member', 'guest', 'admin'].map((r) => ({ value: r, label: roleLabel[r] ?? r }))}
              value={role}
              onChange={(v) => v && setRole(v as typeof role)}
              allowDeselect={false}
            />
            <Group grow align="flex-start">
              <Select label="Valid for" data={EXPIRY} value={expires} onChange={(v) => v && setExpires(v)} allowDeselect={false} />
              <NumberInput label="Number of people" description="How many may join with it" min={1} max={1000} value={uses} onChange={(v) => setUses(typeof v === 'number' ? v : 1)} />
            </Group>
            {(folders.data?.length ?? 0) > 0 && (
              <Table captionSide="top" aria-label="Folder access for the new member">
                <Table.Caption>Folder access on joining (optional)</Table.Caption>
                <Table.Tbody>
                  {folders.data?.map((f) => (
                    <Table.Tr key={f.folderId}>
                      <Table.Td>{f.name}</Table.Td>
                      <Table.Td>
                        <Select
                          aria-label={`Access to ${f.name}`}
                          size="xs"
                          data={[{ value: '', label: 'Default for the role' }, ...(['none', 'read', 'write'] as const).map((a) => ({ value: a, label: accessLabel[a] ?? a }))]}
                          value={grants[f.folderId] ?? ''}
                          onChange={(v) => setGrants((g) => ({ ...g, [f.folderId]: (v ?? '') as Access | '' }))}
                          allowDeselect={false}
                        />
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            )}
            {problem && <ProblemAlert problem={problem} title="No invite was created" />}
            <Group justify="flex-end">
              <Button variant="default" onClick={onClose}>
                Cancel
              </Button>
              <Button type="submit" loading={busy}>
                Create invite link
              </Button>
            </Group>
          </Stack>
        </form>
      )}
    </Modal>
  );
}

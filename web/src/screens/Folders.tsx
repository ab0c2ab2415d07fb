import { Button, Card, Collapse, Group, Select, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { Access, Space } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { accessLabel } from '../format.js';
import { useSubmit } from '../useSubmit.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { aboutSpace, useLive } from '../live.js';
import { FolderCard } from './FolderCard.js';

export function Folders({ space }: { space: Space }) {
  const folders = useLive(
    (signal) => api.folders(space.spaceId, signal),
    `folders-${space.spaceId}`,
    (e) => e.type === 'folder.added' || e.type === 'folder.removed' || aboutSpace(space.spaceId)(e),
  );
  const members = useLive((signal) => api.members(space.spaceId, signal), `members-${space.spaceId}`, aboutSpace(space.spaceId));
  const names = new Map((members.data ?? []).map((m) => [m.memberId, m.name]));
  const canAdd = space.role === 'admin' || space.role === 'member';

  return (
    <Stack>
      {folders.problem && <ProblemAlert problem={folders.problem} />}
      {folders.data?.length === 0 && <Text>No shared folders yet.{canAdd ? ' Share one of your folders below; everyone in the space gets a copy.' : ''}</Text>}
      {(folders.data ?? []).map((f) => (
        <FolderCard key={f.folderId} folder={f} peerName={(id) => names.get(id) ?? `Device ${id.slice(0, 8)}`} onChanged={folders.reload} />
      ))}
      {canAdd && <AddFolder spaceId={space.spaceId} admin={space.role === 'admin'} onAdded={folders.reload} />}
    </Stack>
  );
}

const LEVELS = (['none', 'read', 'write'] as const).map((a) => ({ value: a, label: accessLabel[a] ?? a }));

/** Shares a directory of this computer; admins choose who gets it by default (members write, guests nothing). */
function AddFolder({ spaceId, admin, onAdded }: { spaceId: string; admin: boolean; onAdded: () => void }) {
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [members, setMembers] = useState<Access>('write');
  const [guests, setGuests] = useState<Access>('none');
  const { busy, problem, onSubmit } = useSubmit(async () => {
    // Only admins may share with guests; members choose for the team only.
    const access = admin ? { members, guests } : { members };
    await api.addFolder(spaceId, { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}), access });
    setPath('');
    setName('');
    setMembers('write');
    setGuests('none');
    setOpen(false);
    onAdded();
  });

  return (
    <Card withBorder component="section" aria-labelledby="add-folder-title">
      <Group justify="space-between">
        <Title order={2} size="h4" id="add-folder-title">
          Share a folder
        </Title>
        <Button variant={open ? 'default' : 'filled'} onClick={() => setOpen((o) => !o)} aria-expanded={open} aria-controls="add-folder-form">
          {open ? 'Cancel' : 'Add a folder'}
        </Button>
      </Group>
      <Collapse expanded={open}>
        <form onSubmit={onSubmit} id="add-folder-form">
          <Stack mt="md">
            <TextInput
              label="Folder on this computer"
              description="Its full path, e.g. /home/anna/Documents/Acme or C:\Users\Anna\Acme. It is created if missing."
              value={path}
              onChange={(e) => setPath(e.currentTarget.value)}
              required
              spellCheck={false}
            />
            <TextInput label="Name in the space (optional)" description="Defaults to the folder's own name" value={name} onChange={(e) => setName(e.currentTarget.value)} maxLength={255} />
            <Group grow align="flex-start" wrap="wrap">
              <Select
                label="Members may"
                description="Admins can always read and write"
                data={LEVELS}
                value={members}
                onChange={(v) => v && setMembers(v as Access)}
                allowDeselect={false}
                miw={200}
              />
              {admin && (
                <Select
                  label="Guests may"
                  description="Guests see only the folders they are given"
                  data={LEVELS}
                  value={guests}
                  onChange={(v) => v && setGuests(v as Access)}
                  allowDeselect={false}
                  miw={200}
                />
              )}
            </Group>
            {problem && <ProblemAlert problem={problem} title="The folder was not shared" />}
            <Button type="submit" loading={busy} disabled={path.trim() === ''} w="fit-content">
              Share folder
            </Button>
          </Stack>
        </form>
      </Collapse>
    </Card>
  );
}

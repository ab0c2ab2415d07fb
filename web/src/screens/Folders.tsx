import { Button, Card, Collapse, Group, Stack, Text, TextInput, Title } from '@mantine/core';
import { useState } from 'react';
import type { Space } from '../../../src/contract/api.js';
import { api } from '../api.js';
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
      {canAdd && <AddFolder spaceId={space.spaceId} onAdded={folders.reload} />}
    </Stack>
  );
}

function AddFolder({ spaceId, onAdded }: { spaceId: string; onAdded: () => void }) {
  const [open, setOpen] = useState(false);
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const { busy, problem, onSubmit } = useSubmit(async () => {
    await api.addFolder(spaceId, { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) });
    setPath('');
    setName('');
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

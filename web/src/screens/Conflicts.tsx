import { Button, Card, Group, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { ConflictCopy } from '../../../src/contract/api.js';
import { api } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { when } from '../format.js';
import { useLive } from '../live.js';
import { useAction } from '../useSubmit.js';

/**
 * Two people changed the same file at once: both versions were kept. The user picks one
 * (the other is deleted) or keeps both, the other under a plain name.
 */
export function Conflicts({ spaceId }: { spaceId: string }) {
  // A scan that ends (folder.state) is when the node's list drops a copy resolved here.
  const conflicts = useLive(
    (signal) => api.conflicts(spaceId, signal),
    `conflicts-${spaceId}`,
    (e) => e.type === 'folder.conflict' || e.type === 'folder.pulled' || e.type === 'folder.state',
    1000,
  );
  const { problem, run } = useAction();
  const [done, setDone] = useState<string | null>(null);
  // Copies resolved here: gone from disk at once, but listed by the node until its next scan.
  const [resolved, setResolved] = useState<ReadonlySet<string>>(new Set());
  const keyOf = (c: ConflictCopy) => `${c.folderId}/${c.path}`;
  const open = (conflicts.data ?? []).filter((c) => !resolved.has(keyOf(c)));

  const resolve = async (c: ConflictCopy, keep: 'original' | 'copy' | 'both') => {
    setDone(null);
    await run(async () => {
      const result = await api.resolveConflict(c.folderId, { path: c.path, keep });
      setResolved((set) => new Set(set).add(keyOf(c)));
      setDone(`Resolved: ${result.paths.join(' and ')}`);
      conflicts.reload();
    });
  };

  return (
    <Stack>
      {conflicts.problem && <ProblemAlert problem={conflicts.problem} />}
      {problem && <ProblemAlert problem={problem} title="Not resolved" />}
      <div role="status" aria-live="polite">
        {done && <Text c="teal">{done}</Text>}
      </div>
      {conflicts.data && open.length === 0 && <Text>No conflicts. When two people change the same file at the same time, both versions are kept and shown here.</Text>}
      {open.map((c) => (
        <Card withBorder key={`${c.folderId}/${c.path}`} component="article" aria-label={`Conflict on ${c.original}`}>
          <Text fw={600}>
            {c.folder}/{c.original}
          </Text>
          <Text size="sm" c="dimmed" mb="sm">
            Another version, from device {c.device}, changed {when(c.time)}, is kept as {c.path}.
          </Text>
          <Group gap="xs">
            <Button size="sm" variant="default" component="a" href={api.fileUrl(c.folderId, c.original)} download>
              Download current
            </Button>
            <Button size="sm" variant="default" component="a" href={api.fileUrl(c.folderId, c.path)} download>
              Download other
            </Button>
            <Button size="sm" onClick={() => void resolve(c, 'original')}>
              Keep current
            </Button>
            <Button size="sm" onClick={() => void resolve(c, 'copy')}>
              Keep other
            </Button>
            <Button size="sm" variant="light" onClick={() => void resolve(c, 'both')}>
              Keep both
            </Button>
          </Group>
        </Card>
      ))}
    </Stack>
  );
}

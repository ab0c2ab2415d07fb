import { Anchor, Badge, Button, Card, Group, List, Progress, Stack, Text } from '@mantine/core';
import { useState } from 'react';
import type { Folder, FolderState } from '../../../src/contract/api.js';
import { api, problemOf, type Problem } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { accessLabel, bytes, duration } from '../format.js';
import { aboutFolder, useLive } from '../live.js';
import { href } from '../route.js';

const STATE: Record<FolderState, { label: string; color: string }> = {
  idle: { label: 'Up to date', color: 'teal' },
  scanning: { label: 'Looking for changes', color: 'blue' },
  syncing: { label: 'Syncing', color: 'blue' },
  error: { label: 'Problem', color: 'red' },
  paused: { label: 'Paused', color: 'gray' },
  stopped: { label: 'Not synced here', color: 'gray' },
};

/** One folder's live state: progress of the batch under way, peers and whether each is in sync. */
export function FolderCard({ folder, peerName, onChanged }: { folder: Folder; peerName: (id: string) => string; onChanged: () => void }) {
  const status = useLive((signal) => api.folderStatus(folder.folderId, signal), `status-${folder.folderId}`, aboutFolder(folder.folderId), 300);
  const [problem, setProblem] = useState<Problem | null>(null);
  const s = status.data;
  const state = s?.state ?? folder.state;
  const progress = s?.progress;
  const working = progress && progress.totalBytes + progress.totalFiles > 0 && (state === 'syncing' || state === 'scanning');
  const percent = working ? Math.min(100, (100 * progress.bytes) / Math.max(1, progress.totalBytes)) : 0;
  const running = state !== 'paused' && state !== 'stopped';

  const act = async (action: () => Promise<unknown>) => {
    setProblem(null);
    try {
      await action();
      onChanged();
      status.reload();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <Card withBorder component="article" aria-labelledby={`folder-${folder.folderId}`} data-testid="folder-card">
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Group gap="sm">
            <Text fw={600} size="lg" id={`folder-${folder.folderId}`} component="h2">
              {folder.name}
            </Text>
            <Badge color={STATE[state].color} variant="light" data-testid="folder-state">
              {STATE[state].label}
            </Badge>
            {s && s.access !== 'write' && <Badge variant="outline">{accessLabel[s.access]}</Badge>}
          </Group>
          <Group gap="xs">
            <Button component="a" href={href({ screen: 'folder', spaceId: folder.spaceId, folderId: folder.folderId, path: '' })} size="sm" aria-label={`Open folder ${folder.name}`}>
              Open
            </Button>
            {running ? (
              <Button size="sm" variant="default" onClick={() => void act(() => api.pauseFolder(folder.folderId))} aria-label={`Pause ${folder.name}`}>
                Pause
              </Button>
            ) : (
              <Button size="sm" variant="default" onClick={() => void act(() => api.resumeFolder(folder.folderId))} aria-label={`Resume ${folder.name}`}>
                Resume
              </Button>
            )}
          </Group>
        </Group>
        <Text size="sm" c="dimmed" style={{ wordBreak: 'break-all' }}>
          {folder.path}
        </Text>
        {s && (
          <Text size="sm">
            {s.localFiles} file{s.localFiles === 1 ? '' : 's'}, {bytes(s.localBytes)} here
            {s.needFiles > 0 && ` · ${s.needFiles} to fetch (${bytes(s.needBytes)})`}
            {s.conflicts > 0 && ` · ${s.conflicts} conflict${s.conflicts === 1 ? '' : 's'}`}
          </Text>
        )}
        {working && (
          <div role="status" aria-live="polite">
            <Progress value={percent} aria-label={`Progress of ${folder.name}`} animated />
            <Text size="xs" mt={4}>
              {progress.files} of {progress.totalFiles} file{progress.totalFiles === 1 ? '' : 's'} · {bytes(progress.bytes)} of {bytes(progress.totalBytes)} · {bytes(progress.rate)}/s · {duration(progress.etaSeconds)} left
            </Text>
          </div>
        )}
        {s?.error && <ProblemAlert problem={{ code: 'FOLDER', message: s.error, hint: null }} title="This folder has a problem" />}
        {s && s.localChanges > 0 && (
          <Text size="sm" c="orange">
            {s.localChanges} change{s.localChanges === 1 ? ' made here is' : 's made here are'} not sent (you may only read this folder).{' '}
            <Anchor href={href({ screen: 'folder', spaceId: folder.spaceId, folderId: folder.folderId, path: '' })} inherit underline="always">
              Review or revert
            </Anchor>
          </Text>
        )}
        {s && s.peers.length > 0 && (
          <List size="sm" spacing={2} aria-label={`Who else has ${folder.name}`}>
            {s.peers.map((p) => (
              <List.Item key={p.deviceId}>
                {peerName(p.deviceId)}: {!p.connected ? 'offline' : p.inSync ? 'in sync' : 'syncing'}
              </List.Item>
            ))}
          </List>
        )}
        {s && s.problems.length > 0 && (
          <Text size="sm" c="orange">
            {s.problems.length} item{s.problems.length === 1 ? '' : 's'} cannot sync, e.g. {s.problems[0]?.path}: {s.problems[0]?.message}
          </Text>
        )}
        {problem && <ProblemAlert problem={problem} />}
      </Stack>
    </Card>
  );
}

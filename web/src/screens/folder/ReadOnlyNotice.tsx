import { Alert, Button, Group, Modal, Text } from '@mantine/core';
import { useRef, useState } from 'react';
import type { FolderStatus } from '../../../../src/contract/api.js';
import { api } from '../../api.js';
import { ProblemAlert } from '../../components/ProblemAlert.js';
import { useAction } from '../../useSubmit.js';

const changes = (n: number) => `${n} change${n === 1 ? '' : 's'}`;

/**
 * A folder this member may only read: what that means, how many changes made here are not sent,
 * and a way back to the shared version (after a confirmation: it replaces local work; the
 * replaced files stay in the folder's versions).
 */
export function ReadOnlyNotice({ status, onReverted }: { status: FolderStatus; onReverted: () => void }) {
  const [confirming, setConfirming] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const { busy, problem, run } = useAction();
  const button = useRef<HTMLButtonElement>(null);
  const n = status.localChanges;

  const revert = async () => {
    setConfirming(false);
    setResult(null);
    let reverted = 0;
    const ok = await run(async () => {
      reverted = (await api.revertFolder(status.folderId)).reverted;
    });
    if (!ok) return;
    setResult(reverted === 0 ? 'There was nothing to revert: this folder already has the shared version.' : `${reverted} file${reverted === 1 ? ' gets' : 's get'} the shared version back.`);
    onReverted();
  };

  return (
    <Alert color="indigo" variant="light" title="You may only read this folder" role="region" data-testid="read-only-notice">
      <Text size="sm">You get every change the others make. What you change here stays on this computer: it is not sent to anyone.</Text>
      <Text size="sm" fw={500} mt={4} data-testid="local-changes">
        {n === 0 ? 'No changes made here.' : `${changes(n)} made here ${n === 1 ? 'is' : 'are'} not sent.`}
      </Text>
      <Group mt="sm" gap="sm">
        <Button ref={button} size="sm" variant="default" onClick={() => setConfirming(true)} loading={busy} disabled={n === 0}>
          Revert to the shared version
        </Button>
      </Group>
      <div role="status" aria-live="polite">
        {result && (
          <Text size="sm" mt="xs" c="teal.9">
            {result}
          </Text>
        )}
      </div>
      {problem && <ProblemAlert problem={problem} title="Not reverted" />}
      <Modal opened={confirming} onClose={() => setConfirming(false)} onExitTransitionEnd={() => button.current?.focus()} title="Revert to the shared version?">
        <Text mb="md">
          The {changes(n)} made here in {status.name} will be replaced by the version everyone else has. The replaced files are kept in the folder's versions for a while, if you need them
          back.
        </Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setConfirming(false)}>
            Cancel
          </Button>
          <Button color="red" onClick={() => void revert()}>
            Revert
          </Button>
        </Group>
      </Modal>
    </Alert>
  );
}

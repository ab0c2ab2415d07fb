import { Button, Modal, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useState } from 'react';
import { api, problemOf, type Problem } from '../api.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { bytes, when } from '../format.js';
import { aboutFolder, useLive } from '../live.js';

/** Earlier versions of a file that changes from peers replaced here; restore puts one back. */
export function VersionsDialog({ folderId, path, opened, onClose, onRestored }: { folderId: string; path: string; opened: boolean; onClose: () => void; onRestored: () => void }) {
  const versions = useLive((signal) => api.versions(folderId, path, signal), `versions-${folderId}-${path}`, aboutFolder(folderId), 1000);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [restored, setRestored] = useState<string | null>(null);

  const restore = async (versionId: string) => {
    setProblem(null);
    try {
      await api.restore(folderId, { path, versionId });
      setRestored(versionId);
      versions.reload();
      onRestored();
    } catch (err) {
      setProblem(problemOf(err));
    }
  };

  return (
    <Modal opened={opened} onClose={onClose} title={`Versions of ${path}`} size="lg">
      <Stack>
        <Text size="sm">When a change from someone else replaces or deletes a file, the old one is kept here for 30 days.</Text>
        {versions.problem && <ProblemAlert problem={versions.problem} />}
        {problem && <ProblemAlert problem={problem} title="Not restored" />}
        {restored && (
          <Text role="status" c="teal">
            Restored. The current file was kept as a version too.
          </Text>
        )}
        {versions.data?.length === 0 && <Text>No earlier versions of this file.</Text>}
        {(versions.data?.length ?? 0) > 0 && (
          <Table aria-label="Earlier versions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Replaced</Table.Th>
                <Table.Th>Size</Table.Th>
                <Table.Th>Last changed</Table.Th>
                <Table.Th>
                  <VisuallyHidden>Actions</VisuallyHidden>
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {versions.data?.map((v) => (
                <Table.Tr key={v.versionId}>
                  <Table.Td>{v.versionId}</Table.Td>
                  <Table.Td>{bytes(v.size)}</Table.Td>
                  <Table.Td>{when(v.mtime)}</Table.Td>
                  <Table.Td>
                    <Button size="compact-sm" variant="light" onClick={() => void restore(v.versionId)} aria-label={`Restore the version of ${v.versionId}`}>
                      Restore
                    </Button>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        )}
      </Stack>
    </Modal>
  );
}

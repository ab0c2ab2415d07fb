import { Anchor, Breadcrumbs, Button, Card, Group, Modal, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useRef, useState, type DragEvent } from 'react';
import { api, problemOf } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { ScrollTable } from '../components/ScrollTable.js';
import { bytes, when } from '../format.js';
import { aboutFolder, useLive } from '../live.js';
import { href } from '../route.js';
import { entriesOf, filesOfEntries, topNames, type PickedFile } from '../upload.js';
import { AccessPanel } from './folder/AccessPanel.js';
import { FilePicker } from './folder/FilePicker.js';
import { ReadOnlyNotice } from './folder/ReadOnlyNotice.js';
import { UploadStatus } from './folder/UploadStatus.js';
import { useUploader } from './folder/use-uploader.js';
import { VersionsDialog } from './VersionsDialog.js';

/** One directory of a shared folder: open, download, see versions, and drop files in to upload them. */
export function FolderBrowser({ spaceId, folderId, path }: { spaceId: string; folderId: string; path: string }) {
  const folder = useLive((signal) => api.folderStatus(folderId, signal), `status-${folderId}`, aboutFolder(folderId), 500);
  const listing = useLive((signal) => api.listFiles(folderId, path, signal), `files-${folderId}-${path}`, (e) => aboutFolder(folderId)(e) && e.type !== 'folder.progress');
  const settings = useLive((signal) => api.settings(signal), 'settings', () => false);
  const spaces = useLive((signal) => api.spaces(signal), 'spaces', (e) => e.type === 'space.changed');
  const admin = spaces.data?.find((s) => s.spaceId === spaceId)?.role === 'admin';
  const uploader = useUploader(folderId, path, settings.data?.settings.maxUploadMb ?? 0, listing.reload);
  const [dragging, setDragging] = useState(false);
  const [replace, setReplace] = useState<PickedFile[] | null>(null);
  const [versionsOf, setVersionsOf] = useState<string | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const filesInput = useRef<HTMLInputElement>(null);
  const dirInput = useRef<HTMLInputElement>(null);
  const writable = folder.data?.access === 'write';
  const busy = uploader.progress !== null;
  const name = folder.data?.name ?? 'Folder';
  const segments = path ? path.split('/') : [];

  const receive = (files: PickedFile[]) => {
    if (files.length === 0 || busy) return;
    const existing = new Set((listing.data?.entries ?? []).map((e) => e.name));
    if ([...topNames(files)].some((n) => existing.has(n))) return setReplace(files);
    void uploader.upload(files, false);
  };

  const start = (overwrite: boolean) => {
    const files = replace ?? [];
    setReplace(null);
    void uploader.upload(files, overwrite);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!writable) return uploader.setProblem({ code: 'FORBIDDEN', message: 'You may only read this folder.', hint: 'Ask an admin of the space for write access.' });
    const entries = entriesOf(e.dataTransfer.items); // now: the drop's data is gone once the handler returns
    void filesOfEntries(entries).then(receive, (err: unknown) => uploader.setProblem(problemOf(err)));
  };

  return (
    <Stack>
      <Breadcrumbs separator="/" aria-label="You are here">
        <Anchor href={href({ screen: 'space', spaceId, tab: 'folders' })}>Folders</Anchor>
        <Anchor href={href({ screen: 'folder', spaceId, folderId, path: '' })}>{name}</Anchor>
        {segments.map((seg, i) => (
          <Anchor key={i} href={href({ screen: 'folder', spaceId, folderId, path: segments.slice(0, i + 1).join('/') })}>
            {seg}
          </Anchor>
        ))}
      </Breadcrumbs>
      <PageTitle>{segments.at(-1) ?? name}</PageTitle>
      {folder.problem && <ProblemAlert problem={folder.problem} />}
      {folder.data?.access === 'read' && (
        <ReadOnlyNotice
          status={folder.data}
          onReverted={() => {
            folder.reload();
            listing.reload();
          }}
        />
      )}
      <Card
        withBorder
        data-testid="drop-zone"
        onDragOver={(e) => {
          e.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        style={{ borderStyle: dragging ? 'dashed' : undefined, borderColor: dragging ? 'var(--mantine-color-indigo-5)' : undefined, borderWidth: dragging ? 2 : undefined }}
      >
        <Group justify="space-between" wrap="wrap" mb="sm">
          <Text size="sm" c="dimmed">
            {writable ? 'Drop files or folders here to add them to this folder.' : 'Click a file to download it.'}
          </Text>
          {writable && (
            <Group gap="xs">
              <Button size="sm" variant="light" onClick={() => filesInput.current?.click()} disabled={busy}>
                Upload files
              </Button>
              <Button size="sm" variant="light" onClick={() => dirInput.current?.click()} disabled={busy}>
                Upload a folder
              </Button>
              <FilePicker ref={filesInput} onFiles={receive} />
              <FilePicker ref={dirInput} onFiles={receive} directory />
            </Group>
          )}
        </Group>
        <div role="status" aria-live="polite">
          {uploader.result && (
            <Text size="sm" c="teal.9">
              {uploader.result}
            </Text>
          )}
        </div>
        {uploader.progress && <UploadStatus progress={uploader.progress} onCancel={uploader.cancel} />}
        {uploader.problem && <ProblemAlert problem={uploader.problem} title="Upload failed" />}
        {listing.problem && <ProblemAlert problem={listing.problem} />}
        {listing.data?.entries.length === 0 && <Text py="md">This folder is empty.</Text>}
        {(listing.data?.entries.length ?? 0) > 0 && (
          <ScrollTable label="Files (scrolls sideways)" minWidth={300}>
            <Table aria-label={`Contents of ${segments.at(-1) ?? name}`} highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Name</Table.Th>
                  <Table.Th>Size</Table.Th>
                  <Table.Th visibleFrom="sm">Changed</Table.Th>
                  <Table.Th>
                    <VisuallyHidden>Actions</VisuallyHidden>
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {listing.data?.entries.map((entry) => (
                  <Table.Tr key={entry.path} data-testid="file-row">
                    <Table.Td style={{ wordBreak: 'break-all' }}>
                      {entry.type === 'dir' ? (
                        <Anchor href={href({ screen: 'folder', spaceId, folderId, path: entry.path })}>📁 {entry.name}</Anchor>
                      ) : (
                        <Anchor href={api.fileUrl(folderId, entry.path)} download={entry.name} aria-label={`Download ${entry.name}`}>
                          {entry.name}
                        </Anchor>
                      )}
                    </Table.Td>
                    <Table.Td>{entry.type === 'dir' ? '' : bytes(entry.size)}</Table.Td>
                    <Table.Td visibleFrom="sm">{when(entry.mtime)}</Table.Td>
                    <Table.Td>
                      {entry.type === 'file' && (
                        <Button size="compact-xs" variant="subtle" onClick={() => {
                            setVersionsOf(entry.path);
                            setVersionsOpen(true);
                          }} aria-label={`Versions of ${entry.name}`}>
                          Versions
                        </Button>
                      )}
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </ScrollTable>
        )}
      </Card>
      {admin && path === '' && folder.data && <AccessPanel spaceId={spaceId} folderId={folderId} folderName={name} />}
      <Modal opened={replace !== null} onClose={() => setReplace(null)} title="Replace existing files?">
        <Text mb="md">Some of these names already exist here. Replacing them changes them for everyone in the space.</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setReplace(null)}>
            Cancel
          </Button>
          <Button variant="light" onClick={() => start(false)}>
            Keep existing
          </Button>
          <Button onClick={() => start(true)}>Replace</Button>
        </Group>
      </Modal>
      {versionsOf && <VersionsDialog key={versionsOf} opened={versionsOpen} folderId={folderId} path={versionsOf} onClose={() => setVersionsOpen(false)} onRestored={listing.reload} />}
    </Stack>
  );
}

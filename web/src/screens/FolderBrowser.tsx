import { Anchor, Breadcrumbs, Button, Card, Group, Modal, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useRef, useState, type DragEvent } from 'react';
import { api, problemOf, type Problem } from '../api.js';
import { PageTitle } from '../components/PageTitle.js';
import { ProblemAlert } from '../components/ProblemAlert.js';
import { bytes, when } from '../format.js';
import { aboutFolder, useLive } from '../live.js';
import { href } from '../route.js';
import { VersionsDialog } from './VersionsDialog.js';

/** One directory of a shared folder: open, download, see versions, and drop files in to upload them. */
export function FolderBrowser({ spaceId, folderId, path }: { spaceId: string; folderId: string; path: string }) {
  const folder = useLive((signal) => api.folderStatus(folderId, signal), `status-${folderId}`, aboutFolder(folderId), 500);
  const listing = useLive((signal) => api.listFiles(folderId, path, signal), `files-${folderId}-${path}`, (e) => aboutFolder(folderId)(e) && e.type !== 'folder.progress');
  const [dragging, setDragging] = useState(false);
  const [uploading, setUploading] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [replace, setReplace] = useState<File[] | null>(null);
  const [versionsOf, setVersionsOf] = useState<string | null>(null);
  const [versionsOpen, setVersionsOpen] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const writable = folder.data?.access === 'write';
  const name = folder.data?.name ?? 'Folder';
  const segments = path ? path.split('/') : [];

  const upload = async (files: File[], overwrite: boolean) => {
    setProblem(null);
    let done = 0;
    for (const file of files) {
      setUploading(`Uploading ${file.name} (${++done} of ${files.length})…`);
      try {
        await api.upload(folderId, path ? `${path}/${file.name}` : file.name, file, overwrite);
      } catch (err) {
        setProblem(problemOf(err));
        break;
      }
    }
    setUploading(null);
    listing.reload();
  };

  const receive = (files: File[]) => {
    if (files.length === 0) return;
    const existing = new Set((listing.data?.entries ?? []).map((e) => e.name));
    const clashes = files.filter((f) => existing.has(f.name));
    if (clashes.length > 0) return setReplace(files);
    void upload(files, false);
  };

  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setDragging(false);
    if (!writable) return setProblem({ code: 'FORBIDDEN', message: 'You may only read this folder.', hint: 'Ask an admin of the space for write access.' });
    receive(Array.from(e.dataTransfer.files));
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
            {writable ? 'Drop files here to add them to this folder.' : 'You may only read this folder.'}
          </Text>
          {writable && (
            <>
              <Button size="sm" variant="light" onClick={() => input.current?.click()}>
                Upload files
              </Button>
              <input
                ref={input}
                type="file"
                multiple
                hidden
                aria-hidden
                tabIndex={-1}
                onChange={(e) => {
                  receive(Array.from(e.currentTarget.files ?? []));
                  e.currentTarget.value = '';
                }}
              />
            </>
          )}
        </Group>
        <div role="status" aria-live="polite">
          {uploading && <Text size="sm">{uploading}</Text>}
        </div>
        {problem && <ProblemAlert problem={problem} title="Upload failed" />}
        {listing.problem && <ProblemAlert problem={listing.problem} />}
        {listing.data?.entries.length === 0 && <Text py="md">This folder is empty.</Text>}
        {(listing.data?.entries.length ?? 0) > 0 && (
          <Table.ScrollContainer minWidth={300}>
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
          </Table.ScrollContainer>
        )}
      </Card>
      <Modal opened={replace !== null} onClose={() => setReplace(null)} title="Replace existing files?">
        <Text mb="md">Some of these files already exist here. Replacing them changes them for everyone in the space.</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => setReplace(null)}>
            Cancel
          </Button>
          <Button
            onClick={() => {
              const files = replace ?? [];
              setReplace(null);
              void upload(files, true);
            }}
          >
            Replace
          </Button>
        </Group>
      </Modal>
      {versionsOf && <VersionsDialog key={versionsOf} opened={versionsOpen} folderId={folderId} path={versionsOf} onClose={() => setVersionsOpen(false)} onRestored={listing.reload} />}
    </Stack>
  );
}

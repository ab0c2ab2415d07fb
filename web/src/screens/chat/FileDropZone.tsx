import { Box } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { problemOf, type Problem } from '../../api.js';
import { entriesOf, filesOfEntries } from '../../upload.js';

/** Files dragged in from the file manager anywhere over `children` (a dropped directory gives its files). */
export function FileDropZone({ children, onFiles, onProblem }: { children: ReactNode; onFiles: (files: File[]) => void; onProblem: (problem: Problem) => void }) {
  const [dragging, setDragging] = useState(false);
  return (
    <Box
      data-testid="chat-drop-zone"
      onDragOver={(e) => {
        if (!e.dataTransfer.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const entries = entriesOf(e.dataTransfer.items); // now: the drop's data is gone once the handler returns
        void filesOfEntries(entries).then(
          (files) => onFiles(files.map((f) => f.file)),
          (err: unknown) => onProblem(problemOf(err)),
        );
      }}
      style={{ outline: dragging ? '2px dashed var(--mantine-color-indigo-6)' : undefined, outlineOffset: 4, borderRadius: 'var(--mantine-radius-md)' }}
    >
      {children}
    </Box>
  );
}

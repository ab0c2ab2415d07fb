import type { Ref } from 'react';
import { filesOfInput, type PickedFile } from '../../upload.js';

/**
 * The browser's file picker, opened by a visible button (so it is hidden from the keyboard and
 * screen readers itself). `directory` picks a whole folder, each file with its path inside it.
 */
export function FilePicker({ ref, onFiles, directory = false }: { ref: Ref<HTMLInputElement>; onFiles: (files: PickedFile[]) => void; directory?: boolean }) {
  return (
    <input
      ref={ref}
      type="file"
      multiple
      hidden
      aria-hidden
      tabIndex={-1}
      data-testid={directory ? 'folder-picker' : 'file-picker'}
      {...(directory ? { webkitdirectory: '' } : {})}
      onChange={(e) => {
        onFiles(filesOfInput(e.currentTarget.files));
        e.currentTarget.value = '';
      }}
    />
  );
}

/**
 * Files to upload with their paths relative to the directory being viewed: a dropped or picked
 * directory keeps its tree. Every path is also checked by the node (validateRelativePath and the
 * real-path wall); this only leaves out what could never be sent.
 */
export interface PickedFile {
  file: File;
  /** '/'-separated, relative to the directory shown. */
  path: string;
}

/** The drop's entries must be taken during the drop event: the DataTransfer is emptied after it. */
export function entriesOf(items: DataTransferItemList): (FileSystemEntry | File)[] {
  const out: (FileSystemEntry | File)[] = [];
  for (const item of Array.from(items)) {
    if (item.kind !== 'file') continue;
    const entry = item.webkitGetAsEntry?.();
    const file = entry ? null : item.getAsFile();
    if (entry) out.push(entry);
    else if (file) out.push(file);
  }
  return out;
}

/** Walks dropped directories (readEntries answers in batches until it gives an empty one). */
export async function filesOfEntries(entries: (FileSystemEntry | File)[], signal?: AbortSignal): Promise<PickedFile[]> {
  const out: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    signal?.throwIfAborted();
    const path = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) => (entry as FileSystemFileEntry).file(resolve, reject));
      out.push({ file, path });
      return;
    }
    if (!entry.isDirectory) return;
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, path);
    }
  };
  for (const e of entries) {
    if (e instanceof File) out.push({ file: e, path: e.name });
    else await walk(e, '');
  }
  return out.filter((f) => safePath(f.path));
}

/** A file picker's files; with `webkitdirectory` each carries its path under the chosen directory. */
export function filesOfInput(list: FileList | null): PickedFile[] {
  return Array.from(list ?? [])
    .map((file) => ({ file, path: file.webkitRelativePath || file.name }))
    .filter((f) => safePath(f.path));
}

function safePath(path: string): boolean {
  return path.split('/').every((seg) => seg !== '' && seg !== '.' && seg !== '..');
}

/** The top-level names a batch would create or replace here. */
export function topNames(files: PickedFile[]): Set<string> {
  return new Set(files.map((f) => f.path.split('/')[0] ?? f.path));
}

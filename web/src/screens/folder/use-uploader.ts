import { useRef, useState } from 'react';
import { AgoraError } from '../../../../src/client/http-client.js';
import { api, problemOf, type Problem } from '../../api.js';
import { bytes } from '../../format.js';
import type { PickedFile } from '../../upload.js';

export interface UploadProgress {
  /** Bytes of this batch sent so far, and in all. */
  sent: number;
  total: number;
  /** 1-based number of the file under way, and how many the batch has. */
  index: number;
  count: number;
  current: string;
}

/**
 * Uploads a batch one request per file (the node's streamed upload route makes the parent
 * directories), with the bytes sent over the whole batch, a cancel, and the node's upload limit.
 */
export function useUploader(folderId: string, dir: string, maxUploadMb: number, onDone: () => void) {
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);

  const upload = async (files: PickedFile[], overwrite: boolean) => {
    setProblem(null);
    setResult(null);
    const limit = maxUploadMb * 1024 * 1024;
    const tooBig = limit > 0 ? files.filter((f) => f.file.size > limit) : [];
    if (tooBig.length > 0) {
      return setProblem({
        code: 'BAD_REQUEST',
        message: `${tooBig.map((f) => `${f.path} (${bytes(f.file.size)})`).join(', ')} ${tooBig.length === 1 ? 'is' : 'are'} larger than the upload limit of ${maxUploadMb} MB. Nothing was uploaded.`,
        hint: 'Raise the limit in Settings, or copy the files into the folder on that computer.',
      });
    }
    const controller = new AbortController();
    abort.current = controller;
    const total = files.reduce((n, f) => n + f.file.size, 0);
    const skipped: string[] = [];
    let done = 0;
    let uploaded = 0;
    for (const [i, f] of files.entries()) {
      setProgress({ sent: done, total, index: i + 1, count: files.length, current: f.path });
      try {
        const base = done;
        await api.upload(folderId, dir ? `${dir}/${f.path}` : f.path, f.file, overwrite, controller.signal, (sent) =>
          setProgress((p) => (p ? { ...p, sent: base + Math.min(sent, f.file.size) } : p)),
        );
        uploaded++;
      } catch (err) {
        if (err instanceof AgoraError && err.code === 'CONFLICT' && !overwrite) skipped.push(f.path);
        else {
          if (!(err instanceof AgoraError && err.code === 'ABORTED')) setProblem(problemOf(err));
          else setResult(`Upload cancelled after ${uploaded} of ${files.length} files.`);
          break;
        }
      }
      done += f.file.size;
      if (i === files.length - 1) setResult(`Uploaded ${uploaded} file${uploaded === 1 ? '' : 's'} (${bytes(total)}).${skipped.length > 0 ? ` Kept ${skipped.length} existing: ${skipped.slice(0, 5).join(', ')}${skipped.length > 5 ? '…' : ''}.` : ''}`);
    }
    abort.current = null;
    setProgress(null);
    onDone();
  };

  return { progress, problem, result, upload, cancel: () => abort.current?.abort(), setProblem };
}

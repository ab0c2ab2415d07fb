import { useEffect, useRef, useState } from 'react';
import type { AttachmentUpload } from '../../../../src/contract/api.js';
import { AgoraError } from '../../../../src/client/http-client.js';
import { api, problemOf, type Problem } from '../../api.js';

/** A message carries at most this many files (the node's limit). */
export const MAX_ATTACHMENTS = 10;

export interface PendingAttachment {
  key: number;
  name: string;
  size: number;
  sent: number;
  /** What the node answered once the file is uploaded. */
  uploaded: AttachmentUpload | null;
  problem: Problem | null;
}

/**
 * Files for the next message: each is streamed to the node as soon as it is picked or dropped
 * (one request per file), so sending only names what is already there.
 */
export function useAttachments(spaceId: string) {
  const [items, setItems] = useState<PendingAttachment[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const next = useRef(0);
  const uploads = useRef(new Map<number, AbortController>());

  useEffect(() => {
    const running = uploads.current;
    return () => {
      for (const c of running.values()) c.abort();
    };
  }, []);

  const update = (key: number, change: Partial<PendingAttachment>) => setItems((list) => list.map((i) => (i.key === key ? { ...i, ...change } : i)));

  const add = (files: File[]) => {
    setProblem(null);
    const room = MAX_ATTACHMENTS - items.length;
    if (files.length > room) setProblem({ code: 'BAD_REQUEST', message: `A message carries at most ${MAX_ATTACHMENTS} files; ${files.length - Math.max(room, 0)} were left out.`, hint: 'Send the others in another message.' });
    for (const file of files.slice(0, Math.max(room, 0))) {
      const key = ++next.current;
      const controller = new AbortController();
      uploads.current.set(key, controller);
      setItems((list) => [...list, { key, name: file.name, size: file.size, sent: 0, uploaded: null, problem: null }]);
      api
        .chat.uploadAttachment(spaceId, file.name, file, controller.signal, (sent) => update(key, { sent }))
        .then(
          (uploaded) => update(key, { uploaded, sent: file.size }),
          (err: unknown) => {
            if (!(err instanceof AgoraError && err.code === 'ABORTED')) update(key, { problem: problemOf(err) });
          },
        )
        .finally(() => uploads.current.delete(key));
    }
  };

  const remove = (key: number) => {
    uploads.current.get(key)?.abort();
    setItems((list) => list.filter((i) => i.key !== key));
  };

  return {
    items,
    problem,
    add,
    remove,
    clear: () => setItems([]),
    uploading: items.some((i) => i.uploaded === null && i.problem === null),
    ready: items.flatMap((i) => (i.uploaded ? [i.uploaded] : [])),
  };
}

export type Attachments = ReturnType<typeof useAttachments>;

/**
 * The messages between WorkerHasher (main thread) and hash-worker.ts. A module of their own so
 * that the worker reaches none of the main thread's modules.
 */

/** Main thread -> worker. `hashes`/`sizes`: prior blocks, packed (packed-blocks.ts). */
export type HashRequest =
  | { op: 'open'; id: number; start: number; hashes: ArrayBuffer; sizes: ArrayBuffer }
  | { op: 'push'; id: number; data: ArrayBuffer; length: number }
  | { op: 'finish'; id: number }
  | { op: 'abort'; id: number }
  | { op: 'file'; id: number; fd: number; start: number; end: number; size: number; sliceBytes: number; hashes?: ArrayBuffer; sizes?: ArrayBuffer };

/**
 * Worker -> main thread: the answer to the oldest outstanding request of stream `id`. A
 * `file` request gets exactly one answer (blocks, the size seen, aborted, or an error), and it
 * comes only once the worker no longer reads the descriptor.
 */
export type HashReply =
  | { id: number; data: ArrayBuffer }
  | { id: number; hashes: ArrayBuffer; sizes: ArrayBuffer }
  | { id: number; observedSize: number }
  | { id: number; aborted: true }
  | { id: number; error: string };

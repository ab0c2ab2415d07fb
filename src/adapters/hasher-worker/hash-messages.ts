/**
 * The messages between WorkerHasher (main thread) and hash-worker.ts. A module of their own so
 * that the worker reaches none of the main thread's modules.
 */

/** Main thread -> worker. */
export type HashRequest =
  | { op: 'open'; id: number; start: number; hashes: ArrayBuffer; sizes: ArrayBuffer }
  | { op: 'push'; id: number; data: ArrayBuffer; length: number }
  | { op: 'finish'; id: number }
  | { op: 'abort'; id: number };

/** Worker -> main thread: the answer to the oldest outstanding request of stream `id`. */
export type HashReply =
  | { id: number; data: ArrayBuffer }
  | { id: number; hashes: ArrayBuffer; sizes: ArrayBuffer }
  | { id: number; error: string };

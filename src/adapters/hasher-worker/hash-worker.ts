/**
 * Worker thread of WorkerHasher (worker-hasher.ts): chunks and hashes, one BlockAccumulator per
 * stream. Bytes come two ways:
 * - `push`: slices the main thread read and transferred here; each slice's memory goes back
 *   for the next read;
 * - `file`: a range of a file the main thread opened through the folder adapter, read here
 *   through its descriptor, so that hashing does not wait on a busy main thread. No file is
 *   opened here: the adapter's checks on the path stay the only way in.
 */
import { read } from 'node:fs';
import { parentPort } from 'node:worker_threads';
// Not the protocol barrel: it loads every wire codec and their packages, ~12 MB more per worker.
import { BlockAccumulator, PriorBlocks } from '../../protocol/block-hashing.js';
import { packBlocks, unpackBlocks } from './packed-blocks.js';
import type { HashReply, HashRequest } from './hash-messages.js';

const port = parentPort;
if (!port) throw new Error('hash-worker.js runs only as a worker thread');

const streams = new Map<number, BlockAccumulator>();
/** File jobs running, and whether the main thread asked them to stop. */
const fileJobs = new Map<number, { aborted: boolean }>();

port.on('message', (m: HashRequest) => {
  try {
    if (m.op === 'abort') {
      streams.delete(m.id);
      const job = fileJobs.get(m.id);
      if (job) job.aborted = true;
      return;
    }
    if (m.op === 'file') {
      const job = { aborted: false };
      fileJobs.set(m.id, job);
      void hashFileRange(m, job)
        .catch((err: unknown): HashReply => ({ id: m.id, error: (err as Error).message }))
        .then((reply) => {
          fileJobs.delete(m.id);
          port.postMessage(reply, 'hashes' in reply ? [reply.hashes, reply.sizes] : []);
        });
      return;
    }
    if (m.op === 'open') {
      streams.set(m.id, new BlockAccumulator(new PriorBlocks(unpackBlocks(m.hashes, m.sizes)), m.start));
      return;
    }
    let acc = streams.get(m.id);
    if (!acc) streams.set(m.id, (acc = new BlockAccumulator()));
    if (m.op === 'push') {
      acc.add(Buffer.from(m.data, 0, m.length), m.length);
      const reply: HashReply = { id: m.id, data: m.data };
      port.postMessage(reply, [m.data]);
      return;
    }
    streams.delete(m.id);
    const { hashes, sizes } = packBlocks(acc.finish());
    const reply: HashReply = { id: m.id, hashes, sizes };
    port.postMessage(reply, [hashes, sizes]);
  } catch (err) {
    streams.delete(m.id);
    const reply: HashReply = { id: m.id, error: (err as Error).message };
    port.postMessage(reply);
  }
});

function readAt(fd: number, buffer: Buffer, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buffer, 0, length, position, (err, n) => (err ? reject(err) : resolve(n))));
}

/**
 * The blocks of bytes [start, end) of the file open as `fd`: the same checks as the main
 * thread's hashRange (core/sync/chunking/hash-file.ts), the next slice read while this one is
 * hashed. Returns only when no read is in flight: the main thread closes the descriptor then.
 */
async function hashFileRange(m: Extract<HashRequest, { op: 'file' }>, job: { aborted: boolean }): Promise<HashReply> {
  const prior = m.hashes && m.sizes ? new PriorBlocks(unpackBlocks(m.hashes, m.sizes)) : undefined;
  const acc = new BlockAccumulator(prior, m.start);
  const sliceLength = Math.max(1, Math.min(m.sliceBytes, m.end - m.start));
  const slices = [Buffer.allocUnsafe(sliceLength), Buffer.allocUnsafe(sliceLength)] as const;
  const probe = Buffer.allocUnsafe(1);
  const readSlice = (index: 0 | 1, position: number): Promise<number> => {
    // One byte past the expected end: anything but EOF means the file grew.
    if (position >= m.end) return m.end === m.size ? readAt(m.fd, probe, 1, position) : Promise.resolve(0);
    return readAt(m.fd, slices[index], Math.min(sliceLength, m.end - position), position);
  };
  let position = m.start;
  let current: 0 | 1 = 0;
  let pending = readSlice(0, position);
  try {
    for (;;) {
      const n = await pending;
      if (job.aborted) return { id: m.id, aborted: true };
      if (position === m.end) {
        if (n > 0) return { id: m.id, observedSize: m.size + n };
        break;
      }
      if (n === 0) return { id: m.id, observedSize: position };
      position += n;
      const slice = slices[current];
      current = current === 0 ? 1 : 0;
      pending = readSlice(current, position);
      acc.add(slice, n);
    }
  } catch (err) {
    await pending.catch(() => undefined);
    throw err;
  }
  const { hashes, sizes } = packBlocks(acc.finish());
  return { id: m.id, hashes, sizes };
}

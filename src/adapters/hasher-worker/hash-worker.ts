/**
 * Worker thread of WorkerHasher (worker-hasher.ts): chunks and hashes the slices it is sent,
 * one BlockAccumulator per stream, and hands each slice's memory back for the next read.
 * Pure computation: the main thread reads the files (through the fs port) and transfers the
 * bytes here, so no file is opened outside the folder adapter.
 */
import { parentPort } from 'node:worker_threads';
import { BlockAccumulator } from '../../protocol/index.js';
import type { HashReply, HashRequest } from './worker-hasher.js';

const port = parentPort;
if (!port) throw new Error('hash-worker.js runs only as a worker thread');

const streams = new Map<number, BlockAccumulator>();

port.on('message', (m: HashRequest) => {
  try {
    if (m.op === 'abort') {
      streams.delete(m.id);
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
    const blocks = acc.finish();
    // Packed into two transferable arrays rather than one object per block.
    const hashes = new Uint8Array(blocks.length * 32);
    const sizes = new Uint32Array(blocks.length);
    blocks.forEach((b, i) => {
      hashes.set(b.hash, i * 32);
      sizes[i] = b.size;
    });
    const reply: HashReply = { id: m.id, hashes: hashes.buffer, sizes: sizes.buffer };
    port.postMessage(reply, [hashes.buffer, sizes.buffer]);
  } catch (err) {
    streams.delete(m.id);
    const reply: HashReply = { id: m.id, error: (err as Error).message };
    port.postMessage(reply);
  }
});

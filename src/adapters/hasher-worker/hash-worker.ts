/**
 * Worker thread of WorkerHasher (worker-hasher.ts): chunks and hashes the slices it is sent,
 * one BlockAccumulator per stream, and hands each slice's memory back for the next read.
 * Pure computation: the main thread reads the files (through the fs port) and transfers the
 * bytes here, so no file is opened outside the folder adapter.
 */
import { parentPort } from 'node:worker_threads';
// Not the protocol barrel: it loads every wire codec and their packages, ~12 MB more per worker.
import { BlockAccumulator, PriorBlocks } from '../../protocol/block-hashing.js';
import { packBlocks, unpackBlocks } from './packed-blocks.js';
import type { HashReply, HashRequest } from './hash-messages.js';

const port = parentPort;
if (!port) throw new Error('hash-worker.js runs only as a worker thread');

const streams = new Map<number, BlockAccumulator>();

port.on('message', (m: HashRequest) => {
  try {
    if (m.op === 'abort') {
      streams.delete(m.id);
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

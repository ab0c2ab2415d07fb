import { AgoraError, BadRequestError, NotFoundError, throwIfAborted } from '../../errors/index.js';
import {
  attachmentIdOf,
  BlockAccumulator,
  blockHash,
  decodeManifest,
  encodeManifest,
  MAX_ATTACHMENT_BYTES,
  type AttachmentRef,
  type BlockRef,
} from '../../protocol/index.js';
import type { FolderFs, FsPort, ReadHandle } from '../../ports/fs.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';
import { randomHex } from '../crypto.js';
import type { EventBus } from '../events.js';
import type { SpaceService } from '../spaces/space-service.js';
import type { ChatChannel } from './chat-channel.js';

/** Attachments up to this size are fetched as soon as their message arrives; bigger ones when opened. */
export const AUTO_FETCH_BYTES = 64 * 1024 * 1024;
const PARALLEL_BLOCKS = 8;

export interface AttachmentDeps {
  store: Store;
  spaces: SpaceService;
  fs: FsPort;
  /** Directory holding one subdirectory of attachment files per space. */
  root: string;
  logger: Logger;
  events: EventBus;
  /** Open chat channels of a space: the peers to fetch from. */
  peers(spaceId: string): ChatChannel[];
}

/**
 * Files sent with chat messages. Each is cut into blocks exactly as shared folders are
 * (FastCDC, SHA-256 ids); its id is the hash of its block list. A receiver fetches the list
 * from any peer that holds the file, checks it against the id, then fetches the blocks from
 * all of them in parallel, checks each, and writes it in place: the file is never held in
 * memory, and it gets its real name only once complete and flushed. A peer gets a file only
 * if it may read a channel where it was sent.
 */
export class AttachmentService {
  private readonly folders = new Map<string, Promise<FolderFs>>();
  private readonly fetching = new Map<string, Promise<void>>();
  private readonly offsets = new Map<string, { blocks: BlockRef[]; starts: number[] }>();
  /** Small attachments whose fetch failed (nobody had them yet): tried again when a peer connects. */
  private readonly pending = new Map<string, { spaceId: string; ref: AttachmentRef }>();

  constructor(private readonly deps: AttachmentDeps) {}

  /** Takes in a file (streamed) for a message about to be sent; returns what the message carries. */
  async importStream(spaceId: string, name: string, source: AsyncIterable<Uint8Array>, signal?: AbortSignal): Promise<AttachmentRef> {
    const fs = await this.folder(spaceId);
    const temp = `import-${randomHex(8)}.tmp`;
    const handle = await fs.openWrite(temp);
    const acc = new BlockAccumulator();
    let size = 0;
    try {
      for await (const chunk of source) {
        throwIfAborted(signal);
        const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
        if (size + buf.byteLength > MAX_ATTACHMENT_BYTES) {
          throw new AgoraError('TOO_LARGE', `Attachments can be at most ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB; share bigger files in a folder.`);
        }
        await handle.write(buf, size);
        acc.add(buf, buf.byteLength);
        size += buf.byteLength;
      }
      await handle.sync();
    } catch (err) {
      await handle.close().catch(() => undefined);
      await fs.unlink(temp).catch(() => undefined);
      throw err;
    }
    await handle.close();
    const manifest = encodeManifest(acc.finish());
    const attachmentId = attachmentIdOf(manifest);
    await fs.rename(temp, attachmentId);
    await fs.syncDir('');
    this.deps.store.chat.putAttachment({ attachmentId, spaceId, name, size, manifest, complete: true });
    return { id: attachmentId, name, size };
  }

  /** Whether the file is here, whole. */
  isAvailable(spaceId: string, attachmentId: string): boolean {
    return this.deps.store.chat.getAttachment(spaceId, attachmentId)?.complete === true;
  }

  /** Refuses to send an attachment that is not whole on this device, or not of the size the sender claims. */
  requireLocal(spaceId: string, ref: AttachmentRef): void {
    const record = this.deps.store.chat.getAttachment(spaceId, ref.id);
    if (!record?.complete) {
      throw new BadRequestError(`The attachment "${ref.name}" (${ref.id.slice(0, 12)}) is not on this device: upload it first (POST /api/v1/spaces/{space}/chat/attachments).`);
    }
    if (record.size !== ref.size) throw new BadRequestError(`The attachment "${ref.name}" has ${record.size} bytes, not ${ref.size}; send what the upload answered.`);
  }

  /** Opens a complete attachment for reading (fetching it first if needed and `fetch` is set). */
  async open(spaceId: string, ref: AttachmentRef, signal?: AbortSignal): Promise<{ handle: ReadHandle; size: number }> {
    if (!this.isAvailable(spaceId, ref.id)) await this.fetch(spaceId, ref, signal);
    const fs = await this.folder(spaceId);
    return { handle: await fs.openRead(ref.id), size: ref.size };
  }

  /** One part for a peer: 0 the block list, n block n - 1; null if it may not have it or it is not here. */
  async serve(spaceId: string, peer: string, attachmentId: string, part: number): Promise<Buffer | null> {
    const state = this.deps.spaces.state(spaceId);
    const channels = this.deps.store.chat.attachmentChannels(spaceId, attachmentId);
    if (!channels.some((c) => state.mayReadChannel(c, peer))) return null;
    const record = this.deps.store.chat.getAttachment(spaceId, attachmentId);
    if (!record?.complete || record.manifest === null) return null;
    if (part === 0) return record.manifest;
    const layout = this.layout(attachmentId, record.manifest);
    const block = layout.blocks[part - 1];
    if (!block) return null;
    const fs = await this.folder(spaceId);
    const handle = await fs.openRead(attachmentId);
    try {
      const data = Buffer.allocUnsafe(block.size);
      const n = await handle.read(data, 0, block.size, layout.starts[part - 1]!);
      return n === block.size ? data : null;
    } finally {
      await handle.close();
    }
  }

  /** Arriving attachments: small ones are fetched at once, in the background. */
  onArrived(spaceId: string, refs: readonly AttachmentRef[]): void {
    for (const ref of refs) {
      if (this.deps.store.chat.getAttachment(spaceId, ref.id) === undefined) {
        this.deps.store.chat.putAttachment({ attachmentId: ref.id, spaceId, name: ref.name, size: ref.size, manifest: null, complete: false });
      }
      if (ref.size <= AUTO_FETCH_BYTES) this.fetchInBackground(spaceId, ref);
    }
  }

  /** A peer of the space connected: it may hold what could not be fetched before. */
  onPeer(spaceId: string): void {
    for (const [key, p] of this.pending) {
      if (p.spaceId !== spaceId) continue;
      this.pending.delete(key);
      this.fetchInBackground(p.spaceId, p.ref);
    }
  }

  private fetchInBackground(spaceId: string, ref: AttachmentRef): void {
    this.fetch(spaceId, ref).catch((err: unknown) => {
      this.pending.set(`${spaceId}/${ref.id}`, { spaceId, ref });
      this.deps.logger.info({ err: (err as Error).message, attachment: ref.id.slice(0, 12) }, 'attachment not fetched yet');
    });
  }

  /** Fetches an attachment from the peers that hold it (one fetch per file at a time). */
  fetch(spaceId: string, ref: AttachmentRef, signal?: AbortSignal): Promise<void> {
    const key = `${spaceId}/${ref.id}`;
    let running = this.fetching.get(key);
    if (!running) {
      running = this.doFetch(spaceId, ref, signal).finally(() => this.fetching.delete(key));
      this.fetching.set(key, running);
    }
    return running;
  }

  private async doFetch(spaceId: string, ref: AttachmentRef, signal?: AbortSignal): Promise<void> {
    if (this.isAvailable(spaceId, ref.id)) return;
    const peers = this.deps.peers(spaceId);
    const manifest = await this.fetchManifest(peers, ref.id, signal);
    const blocks = decodeManifest(manifest);
    if (blocks.reduce((n, b) => n + b.size, 0) !== ref.size) throw new AgoraError('PROTOCOL', 'the attachment\'s block list does not add up to its size');
    const fs = await this.folder(spaceId);
    const partial = `${ref.id}.part`;
    const handle = await fs.openWrite(partial);
    try {
      const starts = offsetsOf(blocks);
      let next = 0;
      const worker = async (lane: number) => {
        for (;;) {
          const i = next++;
          if (i >= blocks.length) return;
          const data = await this.fetchBlock(peers, ref.id, i, blocks[i]!, lane, signal);
          await handle.write(data, starts[i]!);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL_BLOCKS, Math.max(1, blocks.length)) }, (_, lane) => worker(lane)));
      await handle.truncate(ref.size);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(partial, ref.id);
    await fs.syncDir('');
    this.deps.store.chat.putAttachment({ attachmentId: ref.id, spaceId, name: ref.name, size: ref.size, manifest, complete: true });
    this.deps.events.emit('chat.attachment', { spaceId, attachmentId: ref.id });
  }

  private async fetchManifest(peers: ChatChannel[], attachmentId: string, signal?: AbortSignal): Promise<Buffer> {
    for (const peer of peers) {
      const data = await peer.requestAttachment(attachmentId, 0, signal).catch(() => null);
      if (data && attachmentIdOf(data) === attachmentId) return data;
      if (data) this.deps.logger.warn({ peer: peer.peerId.slice(0, 12) }, 'a peer sent a wrong attachment block list');
    }
    throw new NotFoundError('No connected member has this attachment right now; it is fetched when one comes online.');
  }

  /** One block, from the peers in turn (starting at a different one per lane), checked against its hash. */
  private async fetchBlock(peers: ChatChannel[], attachmentId: string, index: number, block: BlockRef, lane: number, signal?: AbortSignal): Promise<Buffer> {
    for (let k = 0; k < peers.length; k++) {
      throwIfAborted(signal);
      const peer = peers[(lane + k) % peers.length]!;
      if (!peer.opened) continue;
      const data = await peer.requestAttachment(attachmentId, index + 1, signal).catch(() => null);
      if (data === null) continue;
      if (data.byteLength === block.size && blockHash(data).equals(block.hash)) return data;
      this.deps.logger.warn({ peer: peer.peerId.slice(0, 12), attachment: attachmentId.slice(0, 12) }, 'a peer sent a wrong attachment block; asking another');
    }
    throw new NotFoundError('No connected member could send a part of this attachment; it is fetched when one comes online.');
  }

  private layout(attachmentId: string, manifest: Buffer): { blocks: BlockRef[]; starts: number[] } {
    let layout = this.offsets.get(attachmentId);
    if (!layout) {
      const blocks = decodeManifest(manifest);
      layout = { blocks, starts: offsetsOf(blocks) };
      if (this.offsets.size > 256) this.offsets.clear();
      this.offsets.set(attachmentId, layout);
    }
    return layout;
  }

  private folder(spaceId: string): Promise<FolderFs> {
    let fs = this.folders.get(spaceId);
    if (!fs) {
      fs = this.deps.fs.folder(`${this.deps.root}/${spaceId}`, { create: true });
      fs.catch(() => this.folders.delete(spaceId));
      this.folders.set(spaceId, fs);
    }
    return fs;
  }
}

function offsetsOf(blocks: readonly BlockRef[]): number[] {
  const starts: number[] = [];
  let at = 0;
  for (const b of blocks) {
    starts.push(at);
    at += b.size;
  }
  return starts;
}

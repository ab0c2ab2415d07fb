import { afterEach, describe, expect, it } from 'vitest';
import type { AgoraNode } from '../../src/node/agora-node.js';
import type { FolderRecord } from '../../src/ports/store.js';
import type { Access, FileRecord, FolderOffer, IndexUpdate, LogBody, NameDisclosure } from '../../src/protocol/index.js';
import { verify } from '../../src/core/crypto.js';
import { recordSigningBytes } from '../../src/protocol/record-signature.js';
import type { LogSyncChannel } from '../../src/core/spaces/log-sync.js';
import { Simulation, syncChannel } from './harness.js';
import { findForbidden, nodeWithStore, openLinks, rawStore, recordLinks, storeContents, tappedStore, type TappedStore } from './permissions-helpers.js';

const DAY = 24 * 3600_000;

interface Firm {
  spaceId: string;
  a: AgoraNode;
  b: AgoraNode;
  g: AgoraNode;
  h: AgoraNode;
  gTap: TappedStore;
  orders: FolderRecord;
  invoices: FolderRecord;
  internal: FolderRecord;
  beta: FolderRecord;
  links: ReturnType<typeof recordLinks>;
}

/** What a guest must never learn: other folders' names, other members' names. */
const FORBIDDEN = ['Internal', 'BETA', 'Bob', 'Hector Hidden'];

/**
 * The extranet of the issue: admin Alice, member Bob, guest Gina (Orders=write, Invoices=read),
 * guest Hector Hidden (BETA – Orders=write); folder Internal has the default access (members
 * write, guests nothing). Every folder holds a file; returns once every node holds what it may.
 */
async function firm(sim: Simulation): Promise<Firm> {
  const links = recordLinks(sim.hub);
  const a = await sim.node('Alice');
  const b = await sim.node('Bob');
  const gTap = tappedStore();
  const g = await nodeWithStore(sim, 'Gina', gTap.store);
  const h = await sim.node('Hector Hidden');
  const { spaceId } = a.createSpace('Acme');
  const orders = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Orders', 'Orders');
  const invoices = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Invoices', 'Invoices');
  const internal = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Internal', 'Internal');
  const beta = await a.sync.addFolder('Acme', '/sim/Alice/Acme/BETA – Orders', 'BETA – Orders');
  sim.disk(a).userWrite(orders.path, 'order-1.txt', 'order one');
  sim.disk(a).userWrite(invoices.path, 'invoice-1.txt', 'invoice one');
  sim.disk(a).userWrite(internal.path, 'Internal memo.txt', 'Internal: margins for Bob');
  sim.disk(a).userWrite(beta.path, 'BETA plan.txt', 'BETA launch');

  await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
  await h.join(a.invites.create(spaceId, { role: 'guest', expiresInMs: DAY, uses: 1, grants: [{ folderId: beta.folderId, access: 'write' }] }).code);
  const gInvite = a.invites.create(spaceId, {
    role: 'guest',
    expiresInMs: DAY,
    uses: 1,
    grants: [
      { folderId: orders.folderId, access: 'write' },
      { folderId: invoices.folderId, access: 'read' },
    ],
  });
  await g.join(gInvite.code);

  const f: Firm = { spaceId, a, b, g, h, gTap, orders, invoices, internal, beta, links };
  await sim.until(
    () =>
      has(sim, b, internal, 'Internal memo.txt') &&
      has(sim, b, beta, 'BETA plan.txt') &&
      has(sim, b, orders, 'order-1.txt') &&
      has(sim, g, orders, 'order-1.txt') &&
      has(sim, g, invoices, 'invoice-1.txt') &&
      has(sim, h, beta, 'BETA plan.txt') &&
      [a, b, g, h].every((n) => idle(n)) &&
      [b, g, h].every((n) => n.members(spaceId).every((m) => m.online)),
    'every node holds the folders it may read and is online with everyone it may see',
    20_000,
  );
  return f;
}

/** Whether `node` has `path` of `folder` on its disk (at wherever it maps the folder). */
function has(sim: Simulation, node: AgoraNode, folder: FolderRecord, path: string): boolean {
  const local = node.sync.list().find((r) => r.folderId === folder.folderId);
  if (!local) return false;
  try {
    return sim.disk(node).snapshot(local.path)[path] !== undefined;
  } catch {
    return false;
  }
}

function content(sim: Simulation, node: AgoraNode, folder: FolderRecord, path: string): string | undefined {
  const local = node.sync.list().find((r) => r.folderId === folder.folderId);
  if (!local) return undefined;
  return sim.disk(node).snapshot(local.path)[path]?.bytes?.toString();
}

function idle(node: AgoraNode): boolean {
  return node.sync.list().every((f) => {
    const s = node.sync.status(f.folderId);
    return s.state === 'idle' && s.needFiles === 0;
  });
}

/** Every answer of the node's API that a guest's user could see. */
function apiAnswers(node: AgoraNode): unknown {
  const spaces = node.listSpaces();
  return JSON.parse(
    JSON.stringify({
      status: node.status(),
      spaces,
      members: spaces.map((s) => node.members(s.spaceId)),
      folders: node.sync.list(),
      folderStatus: node.sync.list().map((f) => node.sync.status(f.folderId)),
      conflicts: node.sync.conflicts(),
      peers: node.peerList(),
    }),
  ) as unknown;
}

/** G's log channel to a peer, for the adversarial tests. */
function logChannel(from: AgoraNode, to: AgoraNode, spaceId: string): LogSyncChannel {
  const session = (from.peers['sessions'] as Map<string, { logs: Map<string, LogSyncChannel> }>).get(to.deviceId);
  const ch = session?.logs.get(spaceId);
  if (!ch) throw new Error('no log channel');
  return ch;
}

/** Records every sync message `node` receives (before its own checks), by sending peer. */
function tapSync(node: AgoraNode): { index: { from: string; update: IndexUpdate }[]; offers: { from: string; offers: FolderOffer[] }[] } {
  const seen = { index: [] as { from: string; update: IndexUpdate }[], offers: [] as { from: string; offers: FolderOffer[] }[] };
  const ps = node.sync.peerSync;
  const onIndex = ps.onIndex.bind(ps);
  const onOffers = ps.onOffers.bind(ps);
  ps.onIndex = (ch, update) => {
    seen.index.push({ from: ch.peerId, update });
    onIndex(ch, update);
  };
  ps.onOffers = (ch, offers) => {
    seen.offers.push({ from: ch.peerId, offers });
    onOffers(ch, offers);
  };
  return seen;
}

/** Records every names message `node` receives on its log channels (before learnNames filters them). */
function tapNames(node: AgoraNode): NameDisclosure[][] {
  const seen: NameDisclosure[][] = [];
  const learn = node.spaces.learnNames.bind(node.spaces);
  node.spaces.learnNames = (spaceId, list) => {
    seen.push(list.map((n) => ({ ...n })));
    return learn(spaceId, list);
  };
  return seen;
}

/** Waits for a promise while simulated time runs. */
async function settle<T>(sim: Simulation, promise: Promise<T>, what: string): Promise<{ ok: true; value: T } | { ok: false; error: Error }> {
  let result: { ok: true; value: T } | { ok: false; error: Error } | null = null;
  promise.then(
    (value) => (result = { ok: true, value }),
    (error: Error) => (result = { ok: false, error }),
  );
  await sim.until(() => result !== null, what);
  return result!;
}

describe('simulation: permissions — a guest sees only its own folders', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('guest isolation: disk, store, every API answer and the connections of a guest hold nothing of the rest', async () => {
    sim = new Simulation();
    const events: unknown[] = [];
    const f = await firm(sim);
    const { a, b, g, h, spaceId } = f;
    f.g.events.onAny((type, data) => events.push({ type, data }));

    // A positive control: the guest can write where it may, and it arrives.
    sim.disk(g).userWrite(g.sync.resolve(f.orders.folderId).path, 'from-gina.txt', 'order from Gina');
    await sim.until(() => has(sim, a, f.orders, 'from-gina.txt') && has(sim, b, f.orders, 'from-gina.txt') && [a, b, g].every(idle), 'Gina\'s order everywhere');

    // G's disk: exactly Orders and Invoices under its space dir.
    const gSpaceDir = g.listSpaces()[0]!.dir;
    const top = Object.keys(sim.disk(g).snapshot(gSpaceDir)).filter((p) => !p.includes('/'));
    expect(top.sort()).toEqual(['Invoices', 'Orders']);
    expect(g.sync.list().map((r) => r.folderId).sort()).toEqual([f.orders.folderId, f.invoices.folderId].sort());

    // Nothing forbidden anywhere G holds or says.
    const wholeDisk = sim.disk(g).snapshot('/', { ignore: [] });
    const found = [
      ...findForbidden(storeContents(rawStore(sim, g)), FORBIDDEN, 'store'),
      ...findForbidden(f.gTap.writes, FORBIDDEN, 'store-writes'),
      ...findForbidden(wholeDisk, FORBIDDEN, 'disk'),
      ...findForbidden(apiAnswers(g), FORBIDDEN, 'api'),
      ...findForbidden(events, FORBIDDEN, 'events'),
    ];
    expect(found).toEqual([]);
    // Nor the ids of what G has no grant for: its log holds the entries about those only as
    // stubs (see guest-view.ts), so not even a folder id or another guest's key is there.
    const hiddenIds = [f.internal.folderId, f.beta.folderId, h.deviceId];
    expect([...findForbidden(storeContents(rawStore(sim, g)), hiddenIds, 'store'), ...findForbidden(f.gTap.writes, hiddenIds, 'store-writes')]).toEqual([]);
    expect(rawStore(sim, g).log.stubs(spaceId).length).toBeGreaterThan(0);
    expect(findForbidden(storeContents(rawStore(sim, b)), hiddenIds).map((x) => x.needle)).toEqual(expect.arrayContaining(hiddenIds));
    // The scan is not blind: the same scan finds the names on Bob's node.
    expect(findForbidden(storeContents(rawStore(sim, b)), FORBIDDEN).map((x) => x.needle)).toEqual(expect.arrayContaining(['Internal', 'BETA', 'Bob', 'Hector Hidden']));

    // G's members: itself and the staff; never the other guest.
    expect(g.members(spaceId).map((m) => m.memberId).sort()).toEqual([a.deviceId, b.deviceId, g.deviceId].sort());
    expect(g.members(spaceId).find((m) => m.self)?.name).toBe('Gina');
    // Guests never connect to guests.
    expect(f.links.ever(g.deviceId, h.deviceId)).toBe(false);
    expect(g.peerList().map((p) => p.deviceId)).not.toContain(h.deviceId);
    // G sees the staff in peers as in members: by the start of their id.
    expect(g.peerList().find((p) => p.deviceId === b.deviceId)?.name).toBe(`Member ${b.deviceId.slice(0, 8)}`);
    expect(h.peerList().map((p) => p.deviceId)).not.toContain(g.deviceId);
    expect(g.peerList().filter((p) => p.connected).map((p) => p.deviceId).sort()).toEqual([a.deviceId, b.deviceId].sort());

    // The firm's people see every name.
    for (const staff of [a, b]) {
      expect(staff.sync.list().map((r) => r.name).sort()).toEqual(['BETA – Orders', 'Internal', 'Invoices', 'Orders']);
      expect(staff.members(spaceId).map((m) => m.name).sort()).toEqual(['Alice', 'Bob', 'Gina', 'Hector Hidden']);
    }
    // And Hector only his folder.
    expect(h.sync.list().map((r) => r.name)).toEqual(['BETA – Orders']);
  });
});

describe('simulation: permissions — removal takes effect at once', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a removed guest is disconnected by everyone within seconds, cannot come back, and its later files reach nobody', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g, spaceId } = f;
    expect(a.peers.isOnline(g.deviceId) && b.peers.isOnline(g.deviceId)).toBe(true);
    const reconnects: string[] = [];
    for (const n of [a, b]) n.events.on('peer.connected', ({ deviceId }) => deviceId === g.deviceId && reconnects.push(n.displayName));

    const t0 = sim.clock.now();
    a.spaces.append(spaceId, { type: 'member.remove', member: g.deviceId });
    await sim.until(
      () =>
        !a.peers.isOnline(g.deviceId) &&
        !b.peers.isOnline(g.deviceId) &&
        !g.peers.isOnline(a.deviceId) &&
        !g.peers.isOnline(b.deviceId) &&
        openLinks(sim.hub, g.deviceId) === 0,
      'every session with the removed guest closed',
    );
    // "Within seconds": simulated time, so this bound does not depend on the machine.
    expect(sim.clock.now() - t0).toBeLessThanOrEqual(5_000);
    for (const n of [a, b]) expect(n.peerList().find((p) => p.deviceId === g.deviceId)?.connected ?? false).toBe(false);
    expect(g.peerList().filter((p) => p.connected)).toEqual([]);
    expect(b.members(spaceId).map((m) => m.memberId)).not.toContain(g.deviceId);

    // The removed guest was told before the hang-up: it knows, stops syncing, and says so.
    await sim.until(() => !g.spaces.state(spaceId).isActive(g.deviceId), 'the guest learned it was removed');
    await sim.until(() => g.sync.status(f.orders.folderId).state === 'error', 'the guest stopped syncing Orders');
    expect(g.sync.status(f.orders.folderId).error).toMatch(/no longer a member/);

    // Dialling again with the old key: both firewalls refuse outright, invites out or not.
    const network = g.peers['deps'].network;
    for (const n of [a, b]) {
      const dialled = await settle(sim, network.dial(n.deviceId, [`mem:${n.deviceId}`]), `dial ${n.displayName}`);
      expect(dialled.ok).toBe(false);
      expect(!dialled.ok && dialled.error.message).toMatch(/refused by its firewall/);
      expect(n.peers.isOnline(g.deviceId)).toBe(false);
    }

    // Files G writes afterwards reach nobody, however long it runs.
    const gOrders = g.sync.resolve(f.orders.folderId).path;
    sim.disk(g).userWrite(gOrders, 'after-removal.txt', 'too late');
    sim.disk(g).userWrite(gOrders, 'order-1.txt', 'order one, changed by a removed guest');
    const t1 = sim.clock.now();
    await sim.until(() => sim.clock.now() - t1 >= 60_000, 'a minute later', 30_000);
    for (const n of [a, b]) {
      expect(has(sim, n, f.orders, 'after-removal.txt')).toBe(false);
      expect(content(sim, n, f.orders, 'order-1.txt')).toBe('order one');
      expect(rawStore(sim, n).index.getRemote(f.orders.folderId, g.deviceId, 'after-removal.txt')).toBeUndefined();
      expect(n.peers.isOnline(g.deviceId)).toBe(false);
    }
    // Its files stay on its disk: nothing takes back what was shared.
    expect(sim.disk(g).snapshot(gOrders)['after-removal.txt']).toBeDefined();
    expect(reconnects).toEqual([]);
  });
});

describe('simulation: permissions — adversarial peers', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a guest that offers, requests and pushes a folder it lacks gets nothing of it', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g, spaceId } = f;
    const seen = tapSync(g);
    const internalBlock = rawStore(sim, a).index.getLocal(f.internal.folderId, 'Internal memo.txt')!.blocks[0]!;
    const betaBlock = rawStore(sim, a).index.getLocal(f.beta.folderId, 'BETA plan.txt')!.blocks[0]!;

    for (const staff of [a, b]) {
      const ch = syncChannel(g, staff, spaceId);
      // 1. Offer the forbidden folders as if G had them.
      const real = g.sync.peerSync.offers(staff.deviceId, spaceId);
      const bogus = (folderId: string): FolderOffer => ({ folderId, indexId: 'ab'.repeat(16), maxSequence: 7, haveIndexId: '0'.repeat(32), haveSequence: 0 });
      (ch['offersMsg'] as { send(m: { folders: FolderOffer[] }): void }).send({ folders: [...real, bogus(f.internal.folderId), bogus(f.beta.folderId)] });
      // 2. Push index records into them.
      const fake: FileRecord = {
        path: 'planted.txt', type: 'file', size: 0, mtimeMs: sim.clock.now(), mode: 0o644, deleted: false,
        version: [{ device: g.deviceId, value: 1 }], modifiedBy: g.deviceId, sequence: 1, blocks: [], sig: Buffer.alloc(64), at: [...g.spaces.heads(spaceId)].sort(),
      };
      ch.sendIndex({ folderId: f.internal.folderId, indexId: 'ab'.repeat(16), records: [fake], upToDate: true });
      // 3. Ask for their blocks: directly, through a folder G may read, and by a path that climbs out of it.
      const asks = [
        { folderId: f.internal.folderId, hash: internalBlock.hash, size: internalBlock.size, path: 'Internal memo.txt', offset: 0 },
        { folderId: f.beta.folderId, hash: betaBlock.hash, size: betaBlock.size, path: 'BETA plan.txt', offset: 0 },
        { folderId: f.orders.folderId, hash: internalBlock.hash, size: internalBlock.size, path: 'Internal memo.txt', offset: 0 },
        { folderId: f.orders.folderId, hash: internalBlock.hash, size: internalBlock.size, path: '../Internal/Internal memo.txt', offset: 0 },
      ];
      for (const ask of asks) {
        const answer = await settle(sim, ch.request(ask), `${staff.displayName} answers a block request`);
        expect(answer.ok, `${staff.displayName} served ${ask.path} of ${ask.folderId.slice(0, 8)}`).toBe(false);
        expect(!answer.ok && (answer.error as { reason?: string }).reason).toBe('NOT_FOUND');
      }
      // The block answers came after the offers and the index push on the same channel: all were handled.
      expect(rawStore(sim, staff).index.remoteDevices(f.internal.folderId)).not.toContain(g.deviceId);
      expect(has(sim, staff, f.internal, 'planted.txt')).toBe(false);
    }
    const forbiddenFolders = [f.internal.folderId, f.beta.folderId];
    expect(seen.index.filter((x) => forbiddenFolders.includes(x.update.folderId))).toEqual([]);
    expect(seen.offers.flatMap((x) => x.offers.map((o) => o.folderId)).filter((id) => forbiddenFolders.includes(id))).toEqual([]);
    expect(findForbidden(storeContents(rawStore(sim, g)), FORBIDDEN)).toEqual([]);
  });

  it('a name-want for commitments the asker may not know is answered with nothing', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g, h, spaceId } = f;
    // A folder even members may not read.
    const board = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Board', 'Board', { members: 'none', guests: 'none' });
    await sim.until(() => b.spaces.state(spaceId).folders.has(board.folderId) && g.spaces.heads(spaceId).join() === a.spaces.heads(spaceId).join(), 'Board in every log');
    // G holds only a stub of the entry that adds Board (see guest-view.ts).
    expect(g.spaces.state(spaceId).folders.has(board.folderId)).toBe(false);
    const state = a.spaces.state(spaceId);
    const folderHash = (id: string) => state.folders.get(id)!.nameHash;
    const memberHash = (id: string) => state.members.get(id)!.nameHash;
    const all = [...state.nameSubjects.keys()];

    // What the log lets each know, as the answering side computes it.
    const names = (viewer: AgoraNode) => a.spaces.namesFor(spaceId, viewer.deviceId, all).map((n) => n.name).sort();
    expect(names(g)).toEqual(['Gina', 'Invoices', 'Orders']);
    expect(names(h)).toEqual(['BETA – Orders', 'Hector Hidden']);
    expect(names(b)).toEqual(['Alice', 'BETA – Orders', 'Bob', 'Gina', 'Hector Hidden', 'Internal', 'Invoices', 'Orders']);

    // On the wire: G asks for what it may not know, then for one name it may know (the answer to
    // that one comes after the answer to the first, on the same channel).
    const cases: [AgoraNode, string[], string][] = [
      [g, [folderHash(f.internal.folderId), folderHash(f.beta.folderId), folderHash(board.folderId), memberHash(b.deviceId), memberHash(h.deviceId), memberHash(a.deviceId)], folderHash(f.orders.folderId)],
      [b, [folderHash(board.folderId)], folderHash(f.internal.folderId)],
    ];
    for (const [asker, forbidden, allowed] of cases) {
      const received = tapNames(asker);
      for (const staff of asker === g ? [a, b] : [a]) {
        const ch = logChannel(asker, staff, spaceId);
        const want = ch['wantNames'] as { send(hashes: string[]): void };
        want.send(forbidden);
        want.send([allowed]);
        await sim.until(() => received.some((list) => list.some((n) => n.h === allowed)), `${staff.displayName} answers ${asker.displayName}`);
        expect(received.flat().filter((n) => forbidden.includes(n.h))).toEqual([]);
        received.length = 0;
      }
    }
    expect(b.spaces.folderName(spaceId, board.folderId)).toBeNull();
    expect(findForbidden(storeContents(rawStore(sim, g)), FORBIDDEN)).toEqual([]);
  });
});

describe('simulation: permissions — read access means receive-only', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a guest\'s edits in a folder it may only read reach nobody; it sees the folder is read-only and can revert', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g } = f;
    const before = [a, b].map((n) => ({
      disk: JSON.stringify(sim.disk(n).snapshot(n.sync.resolve(f.invoices.folderId).path)),
      index: JSON.stringify(rawStore(sim, n).index.listLocal(f.invoices.folderId).map(({ local: _local, sequence: _seq, ...r }) => r)),
    }));
    const gInvoices = g.sync.resolve(f.invoices.folderId).path;
    sim.disk(g).userWrite(gInvoices, 'invoice-1.txt', 'invoice one, paid (says Gina)');
    sim.disk(g).userWrite(gInvoices, 'from-gina.txt', 'a new invoice');
    await sim.until(() => g.sync.status(f.invoices.folderId).state === 'idle' && rawStore(sim, g).index.getLocal(f.invoices.folderId, 'from-gina.txt') !== undefined, 'G scanned its edits');
    // A change G may make, sent after the read-only ones: once it is everywhere, so would they be.
    sim.disk(g).userWrite(g.sync.resolve(f.orders.folderId).path, 'marker.txt', 'marker');
    await sim.until(() => has(sim, a, f.orders, 'marker.txt') && has(sim, b, f.orders, 'marker.txt') && [a, b].every(idle), 'the marker everywhere');

    [a, b].forEach((n, i) => {
      expect(JSON.stringify(sim.disk(n).snapshot(n.sync.resolve(f.invoices.folderId).path)), `${n.displayName}'s Invoices`).toBe(before[i]!.disk);
      expect(JSON.stringify(rawStore(sim, n).index.listLocal(f.invoices.folderId).map(({ local: _local, sequence: _seq, ...r }) => r)), `${n.displayName}'s index`).toBe(before[i]!.index);
      expect(rawStore(sim, n).index.getRemote(f.invoices.folderId, g.deviceId, 'from-gina.txt')).toBeUndefined();
    });
    // G sees that the folder is read-only and that it holds changes that are not sent.
    const status = g.sync.status(f.invoices.folderId);
    expect(status.access).toBe('read');
    expect(status.localChanges).toBe(2);
    // One command puts the shared version back.
    expect(g.sync.revert(f.invoices.folderId)).toBe(2);
    await sim.until(() => content(sim, g, f.invoices, 'invoice-1.txt') === 'invoice one' && !has(sim, g, f.invoices, 'from-gina.txt') && idle(g), 'G reverted');
    expect(g.sync.status(f.invoices.folderId).localChanges).toBe(0);
  });

  it('a reader that forges an index record in another member\'s name is ignored by all', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g, spaceId } = f;
    // G changes the file locally (so that it can serve the blocks), then announces it as a new
    // version made by Alice: Alice's counter bumped, modifiedBy Alice.
    const gInvoices = g.sync.resolve(f.invoices.folderId).path;
    sim.disk(g).userWrite(gInvoices, 'invoice-1.txt', 'invoice one, forged');
    await sim.until(() => rawStore(sim, g).index.getLocal(f.invoices.folderId, 'invoice-1.txt')?.size === 'invoice one, forged'.length, 'G indexed its edit');
    const mine = rawStore(sim, g).index.getLocal(f.invoices.folderId, 'invoice-1.txt')!;
    const alices = rawStore(sim, a).index.getLocal(f.invoices.folderId, 'invoice-1.txt')!;
    const aliceCounter = alices.version.find((c) => c.device === a.deviceId)!.value;
    const { local: _local, ...announced } = mine;
    const forged: FileRecord = {
      ...announced,
      version: [{ device: a.deviceId, value: aliceCounter + 1 }],
      modifiedBy: a.deviceId,
      sequence: rawStore(sim, g).index.localSequence(f.invoices.folderId) + 1000,
    };
    for (const staff of [a, b]) {
      const indexId = rawStore(sim, g).folders.get(f.invoices.folderId)!.indexId;
      syncChannel(g, staff, spaceId).sendIndex({ folderId: f.invoices.folderId, indexId, records: [forged], upToDate: true });
    }
    sim.disk(g).userWrite(g.sync.resolve(f.orders.folderId).path, 'marker.txt', 'marker');
    await sim.until(() => has(sim, a, f.orders, 'marker.txt') && has(sim, b, f.orders, 'marker.txt') && [a, b].every(idle), 'the marker everywhere, nothing left to pull');
    for (const n of [a, b]) expect(content(sim, n, f.invoices, 'invoice-1.txt'), `${n.displayName}'s invoice`).toBe('invoice one');
  });
});

/** What a node holds of a folder: its disk, its own index (without local bookkeeping) and the global counts. */
function holding(sim: Simulation, node: AgoraNode, folder: FolderRecord) {
  const status = node.sync.status(folder.folderId);
  return {
    disk: JSON.stringify(sim.disk(node).snapshot(node.sync.resolve(folder.folderId).path)),
    index: JSON.stringify(rawStore(sim, node).index.listLocal(folder.folderId).map(({ local: _local, sequence: _seq, ...r }) => r)),
    global: { files: status.globalFiles, bytes: status.globalBytes },
  };
}

/**
 * A modified client that may only read `folder` edits an existing file, adds one and deletes
 * one, then pushes those records (its own, signed by itself) to every other node that holds the
 * folder, as its honest sync code never would. Every other node keeps what it had, and says so.
 */
async function readerPushesOwnRecords(sim: Simulation, f: Firm, reader: AgoraNode, folder: FolderRecord, existing: string, others: AgoraNode[]) {
  const { a, spaceId } = f;
  // A second shared file, for the reader to delete.
  sim.disk(a).userWrite(a.sync.resolve(folder.folderId).path, 'to-delete.txt', 'keep me');
  await sim.until(() => [reader, ...others].every((n) => has(sim, n, folder, 'to-delete.txt') && idle(n)), 'to-delete.txt everywhere');
  expect(reader.sync.status(folder.folderId).access).toBe('read');
  const before = others.map((n) => holding(sim, n, folder));

  const root = reader.sync.resolve(folder.folderId).path;
  const made = `made by ${reader.displayName}.txt`;
  sim.disk(reader).userWrite(root, existing, `${existing}, rewritten by a reader`);
  sim.disk(reader).userWrite(root, made, 'not allowed here');
  sim.disk(reader).userDelete(root, 'to-delete.txt');
  const local = (path: string) => rawStore(sim, reader).index.getLocal(folder.folderId, path);
  await sim.until(
    () => local(existing)?.modifiedBy === reader.deviceId && local(made) !== undefined && local('to-delete.txt')?.deleted === true,
    `${reader.displayName} indexed its three changes`,
  );
  // In the order of its index, as a real index update is (a receiver drops a record whose sequence goes backwards).
  const records = [existing, made, 'to-delete.txt']
    .map((path) => {
      const { local: _local, ...r } = local(path)!;
      return r as FileRecord;
    })
    .sort((x, y) => x.sequence - y.sequence);
  // Genuinely its own changes: signed by itself, each a newer version than the shared one.
  for (const r of records) {
    expect(r.modifiedBy).toBe(reader.deviceId);
    expect(verify(recordSigningBytes(folder.folderId, r), r.sig, reader.deviceId), `${r.path} signed by ${reader.displayName}`).toBe(true);
  }
  // Its honest code sent none of them.
  for (const n of others) expect(rawStore(sim, n).index.getRemote(folder.folderId, reader.deviceId, made)).toBeUndefined();

  const indexId = rawStore(sim, reader).folders.get(folder.folderId)!.indexId;
  for (const n of others) syncChannel(reader, n, spaceId).sendIndex({ folderId: folder.folderId, indexId, records, upToDate: true });

  const report = new RegExp(`^3 change\\(s\\) from device ${reader.deviceId.slice(0, 12)} ignored: it may not write this folder$`);
  const reported = (n: AgoraNode) => n.sync.status(folder.folderId).problems.some((p) => report.test(p.message));
  // The records arrived (each node holds them as what the reader has) and were judged.
  await sim.until(
    () => others.every((n) => records.every((r) => rawStore(sim, n).index.getRemote(folder.folderId, reader.deviceId, r.path)?.sequence === r.sequence) && reported(n) && idle(n)),
    'every other node received the reader\'s records and reported them',
  );
  // Time for any pull that might have been planned.
  sim.clock.advance(20_000);
  await sim.until(() => others.every(idle), 'every other node idle again');

  others.forEach((n, i) => {
    const now = holding(sim, n, folder);
    expect(now.disk, `${n.displayName}'s disk`).toBe(before[i]!.disk);
    expect(now.index, `${n.displayName}'s index`).toBe(before[i]!.index);
    expect(now.global, `${n.displayName}'s global view`).toEqual(before[i]!.global);
    expect(content(sim, n, folder, existing), `${n.displayName}'s ${existing}`).not.toContain('rewritten by a reader');
    expect(content(sim, n, folder, 'to-delete.txt'), `${n.displayName}'s to-delete.txt`).toBe('keep me');
    expect(has(sim, n, folder, made), `${n.displayName} has ${made}`).toBe(false);
    const status = n.sync.status(folder.folderId);
    expect(status.needFiles).toBe(0);
    // The report, once, as folder status (API and CLI) shows it.
    expect(status.problems.filter((p) => p.message.includes(reader.deviceId.slice(0, 12)))).toEqual([
      { path: '', message: `3 change(s) from device ${reader.deviceId.slice(0, 12)} ignored: it may not write this folder` },
    ]);
  });
  // Nobody else's changes are reported: a writer's push is not a refused change.
  for (const n of others) expect(n.sync.status(folder.folderId).problems.every((p) => report.test(p.message))).toBe(true);
}

describe('simulation: permissions — a reader\'s own changes are ignored and reported everywhere', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a guest with read access that pushes index records signed as itself: no node takes them, each reports them', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    await readerPushesOwnRecords(sim, f, f.g, f.invoices, 'invoice-1.txt', [f.a, f.b]);
  });

  it('a member made a reader by a per-folder grant that pushes its own records: no node takes them, each reports them', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const { a, b, g, spaceId } = f;
    a.spaces.append(spaceId, { type: 'folder.grant', folder: f.orders.folderId, to: b.deviceId, access: 'read' });
    await sim.until(
      () => [a, b, g].every((n) => n.spaces.state(spaceId).accessOf(f.orders.folderId, b.deviceId) === 'read') && b.sync.status(f.orders.folderId).access === 'read',
      'every node knows Bob only reads Orders',
    );
    // Gina (a guest who may write Orders) judges Bob's push too.
    await readerPushesOwnRecords(sim, f, b, f.orders, 'order-1.txt', [a, g]);
  });
});

/**
 * An admin sets `who`'s access to `folder` to none (by `grant`); without a restart its node
 * stops syncing the folder and says so, later changes of others do not reach it, and giving
 * access back (by `restore`) resumes the folder.
 */
async function loseReadAccess(
  sim: Simulation,
  f: Firm,
  who: AgoraNode,
  folder: FolderRecord,
  existing: string,
  grant: LogBody,
  restore: LogBody,
  stillReads: FolderRecord,
) {
  const { a, spaceId } = f;
  const shared = content(sim, who, folder, existing);
  expect(shared).toBeDefined();
  // The file may have just arrived: its folder settles (a scan may follow) before access is taken away.
  await sim.until(() => who.sync.status(folder.folderId).state === 'idle', 'the folder settles');
  expect(who.sync.status(folder.folderId)).toMatchObject({ state: 'idle', access: expect.stringMatching(/read|write/) });
  const states: { folderId: string; state: string; error: string | null }[] = [];
  who.events.on('folder.state', (e) => void states.push(e));

  a.spaces.append(spaceId, grant);
  const why = new RegExp(`no longer have access to "${folder.name}": it no longer syncs`);
  await sim.until(() => who.sync.status(folder.folderId).state === 'error', `${who.displayName} stops syncing ${folder.name}`);
  const status = who.sync.status(folder.folderId);
  expect(status.access).toBe('none');
  expect(status.error).toMatch(why);
  // It says so: the folder stays listed with its reason, an event and an activity item tell it.
  expect(who.sync.list().map((r) => r.folderId)).toContain(folder.folderId);
  expect(states).toContainEqual({ folderId: folder.folderId, state: 'error', error: expect.stringMatching(why) });
  expect(who.activity.list()).toContainEqual(expect.objectContaining({ type: 'folder.problem', folderId: folder.folderId, message: expect.stringMatching(why) }));
  // The others no longer count it among the folder's peers.
  await sim.until(() => !a.sync.status(folder.folderId).peers.some((p) => p.deviceId === who.deviceId), `Alice no longer lists ${who.displayName} for ${folder.name}`);

  // Later changes by others do not reach it, however long it runs.
  const seen = tapSync(who);
  const aRoot = a.sync.resolve(folder.folderId).path;
  sim.disk(a).userWrite(aRoot, existing, `${existing}, changed after the grant`);
  sim.disk(a).userWrite(aRoot, 'after-the-grant.txt', 'not for you');
  await sim.until(() => rawStore(sim, a).index.getLocal(folder.folderId, 'after-the-grant.txt') !== undefined, 'Alice indexed her changes');
  sim.disk(a).userWrite(a.sync.resolve(stillReads.folderId).path, 'marker.txt', 'marker');
  await sim.until(() => has(sim, who, stillReads, 'marker.txt') && idle(a), `the marker reaches ${who.displayName}`);
  const t1 = sim.clock.now();
  await sim.until(() => sim.clock.now() - t1 >= 60_000, 'a minute later');
  expect(has(sim, who, folder, 'after-the-grant.txt')).toBe(false);
  expect(content(sim, who, folder, existing)).toBe(shared);
  expect(rawStore(sim, who).index.getRemote(folder.folderId, a.deviceId, 'after-the-grant.txt')).toBeUndefined();
  expect(seen.index.filter((x) => x.update.folderId === folder.folderId)).toEqual([]);
  expect(seen.offers.flatMap((x) => x.offers.map((o) => o.folderId))).not.toContain(folder.folderId);
  expect(who.sync.status(folder.folderId).state).toBe('error');

  // Access given back, still without a restart: the folder syncs again and catches up.
  a.spaces.append(spaceId, restore);
  await sim.until(
    () => content(sim, who, folder, 'after-the-grant.txt') === 'not for you' && content(sim, who, folder, existing) === `${existing}, changed after the grant` && idle(who),
    `${who.displayName} syncs ${folder.name} again`,
  );
  expect(who.sync.status(folder.folderId).error).toBeNull();
}

describe('simulation: permissions — losing read access by a grant change', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  it('a member whose own grant to a folder is set to none stops syncing it and says so, without a restart', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const to = f.b.deviceId;
    await loseReadAccess(sim, f, f.b, f.internal, 'Internal memo.txt', { type: 'folder.grant', folder: f.internal.folderId, to, access: 'none' }, { type: 'folder.grant', folder: f.internal.folderId, to, access: 'read' }, f.orders);
  });

  it('members lose a folder by its role default set to none: a member\'s node stops syncing it and says so', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const folder = f.internal.folderId;
    await loseReadAccess(sim, f, f.b, f.internal, 'Internal memo.txt', { type: 'folder.grant', folder, to: 'members', access: 'none' }, { type: 'folder.grant', folder, to: 'members', access: 'write' }, f.orders);
  });

  it('a guest whose read grant is set to none stops syncing that folder and says so; its other folder goes on', async () => {
    sim = new Simulation();
    const f = await firm(sim);
    const to = f.g.deviceId;
    await loseReadAccess(sim, f, f.g, f.invoices, 'invoice-1.txt', { type: 'folder.grant', folder: f.invoices.folderId, to, access: 'none' }, { type: 'folder.grant', folder: f.invoices.folderId, to, access: 'read' }, f.orders);
  });
});

/** Everything access decisions depend on, as one node's log replays: members, roles, and access to every folder. */
function decisions(node: AgoraNode, spaceId: string): string {
  const state = node.spaces.state(spaceId);
  const members = [...state.members.values()].map((m) => ({ id: m.memberId, role: m.role, active: m.active })).sort((x, y) => x.id.localeCompare(y.id));
  const access: Record<string, Record<string, Access>> = {};
  for (const folderId of [...state.folders.keys()].sort()) {
    access[folderId] = {};
    for (const m of members) access[folderId]![m.id] = state.accessOf(folderId, m.id);
  }
  return JSON.stringify({ members, access, active: state.activeMembers().map((m) => `${m.memberId}:${m.role}`).sort() });
}

/** Whether entry `x` is an ancestor of entry `y` in `node`'s log. */
function isAncestor(node: AgoraNode, spaceId: string, x: string, y: string): boolean {
  const stack = [...(node.spaces.entry(spaceId, y)?.content.parents ?? [])];
  const seen = new Set<string>();
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id === x) return true;
    if (seen.has(id)) continue;
    seen.add(id);
    stack.push(...(node.spaces.entry(spaceId, id)?.content.parents ?? []));
  }
  return false;
}

describe('simulation: permissions — access is decided the same everywhere', () => {
  let sim: Simulation;
  afterEach(async () => sim?.close());

  for (const run of [0, 1, 2, 3, 4, 5, 6, 7]) {
    it(`concurrent grant, removal, demotion and actions of those concerned end in one decision on every node (run ${run})`, async () => {
      sim = new Simulation();
      const a = await sim.node('Alice');
      const c = await sim.node('Carla');
      const b = await sim.node('Bob');
      const g = await sim.node('Gina');
      const { spaceId } = a.createSpace('Acme');
      const orders = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Orders', 'Orders');
      const internal = await a.sync.addFolder('Acme', '/sim/Alice/Acme/Internal', 'Internal');
      await c.join(a.invite('Acme', { role: 'admin', expiresInMs: DAY, uses: 1 }).code);
      await b.join(a.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
      await g.join(a.invites.create(spaceId, { role: 'guest', expiresInMs: DAY, uses: 1, grants: [{ folderId: orders.folderId, access: 'write' }] }).code);
      const all = [a, c, b, g];
      await sim.until(() => all.every((n) => n.members(spaceId).every((m) => m.online) && n.spaces.heads(spaceId).join() === a.spaces.heads(spaceId).join()), 'everyone connected, one log');

      const sides = sim.hub.randomPartition(all.map((n) => n.deviceId));
      const rnd = (k: number) => Math.floor(sim.hub.random() * k);
      const admins = [a, c];
      const actions: [AgoraNode, () => LogBody][] = [
        [admins[rnd(2)]!, () => ({ type: 'folder.grant', folder: internal.folderId, to: g.deviceId, access: 'write' })],
        [admins[rnd(2)]!, () => ({ type: 'member.remove', member: g.deviceId })],
        [admins[rnd(2)]!, () => ({ type: 'member.role', member: b.deviceId, role: 'guest' })],
        [g, () => ({ type: 'member.rename', name: g.spaces.commitName(spaceId, 'Gina Renamed') })],
        [b, () => ({ type: 'folder.add', folder: 'b0'.repeat(32), name: b.spaces.commitName(spaceId, 'Bob Extra'), access: { members: 'write', guests: 'none' } })],
        [b, () => ({ type: 'member.rename', name: b.spaces.commitName(spaceId, 'Bob Renamed') })],
        [a, () => ({ type: 'folder.grant', folder: orders.folderId, to: 'guests', access: 'read' })],
      ];
      // A random order; after each action, maybe wait until its author's side has it.
      for (let i = actions.length - 1; i > 0; i--) {
        const j = rnd(i + 1);
        [actions[i], actions[j]] = [actions[j]!, actions[i]!];
      }
      const done: string[] = [];
      for (const [author, body] of actions) {
        let entry;
        try {
          entry = author.spaces.append(spaceId, body());
        } catch {
          continue; // the author's node already knows it may not (it learned of a revocation first)
        }
        done.push(`${author.displayName}:${entry.content.body.type}`);
        if (rnd(2) === 0) {
          const side = sides.find((s) => s.includes(author.deviceId))!;
          await sim.until(
            // A guest may hold only a stub of it (see guest-view.ts).
            () => all.filter((n) => side.includes(n.deviceId) && author.peers.isOnline(n.deviceId)).every((n) => n.spaces.knows(spaceId, entry.id)),
            `${done.at(-1)} reaches its side`,
          );
        }
      }
      sim.hub.heal();
      // G is removed in every ordering: nobody talks to it any more. The others converge.
      const active = [a, c, b];
      await sim.until(
        () => active.every((n) => n.spaces.heads(spaceId).sort().join() === a.spaces.heads(spaceId).sort().join() && !n.spaces.state(spaceId).isActive(g.deviceId)),
        `the active nodes converge (sides ${sides.map((s) => s.map((id) => all.find((n) => n.deviceId === id)!.displayName).join('+')).join(' | ')}; ${done.join(', ')})`,
        30_000,
      );
      const expected = decisions(a, spaceId);
      for (const n of active) expect(decisions(n, spaceId), n.displayName).toBe(expected);
      const state = a.spaces.state(spaceId);
      expect(state.isActive(g.deviceId)).toBe(false);
      expect(state.accessOf(internal.folderId, g.deviceId)).toBe('none');
      expect(state.roleOf(b.deviceId)).toBe('guest');
      // What a member did concurrently with losing its rights never takes effect; what it did
      // before (causally) stays.
      const log = a.spaces.entries(spaceId);
      const applied = a.spaces['spaces'].get(spaceId)!.result.applied as Set<string>;
      const revocations = log.filter((e) => (e.content.body.type === 'member.remove' || e.content.body.type === 'member.role') && applied.has(e.id));
      for (const rev of revocations) {
        const target = (rev.content.body as { member: string }).member;
        for (const e of log.filter((x) => x.content.author === target)) {
          if (!isAncestor(a, spaceId, e.id, rev.id) && !isAncestor(a, spaceId, rev.id, e.id)) {
            expect(applied.has(e.id), `${e.content.body.type} by ${target.slice(0, 8)} concurrent with ${rev.content.body.type}`).toBe(false);
          }
        }
      }
      // Every node also agrees on which entries took effect.
      const appliedOn = (n: AgoraNode) => n.spaces.entries(spaceId).map((e) => e.id).filter((id) => n.spaces['spaces'].get(spaceId)!.result.applied.has(id)).sort().join();
      for (const n of active) expect(appliedOn(n), n.displayName).toBe(appliedOn(a));
    });
  }
});

import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { MemoryFs, MemorySnapshotEntry } from '../../src/adapters/fs-memory/index.js';
import { mulberry32 } from '../../src/adapters/network-memory/scheduler.js';
import { isTempName } from '../../src/core/sync/names/index.js';
import type { AgoraNode } from '../../src/node/agora-node.js';
import { Simulation } from './harness.js';

/**
 * Randomized simulations: users edit, rename and delete while the network splits and heals
 * and nodes restart; at the end every node must hold the same tree and nothing a user wrote
 * may be gone unless that user threw it away. Every draw comes from the hub's seeded stream
 * (the seed is printed on failure; AGORA_SIM_SEED replays it, as far as the random device
 * keys allow: nodes are ranked by device id so that tie-breaks between devices replay too).
 */

const DAY = 24 * 3600_000;
/**
 * Seeds per randomized test in one run: a single one when AGORA_SIM_SEED replays a run;
 * AGORA_SIM_RUNS asks for more, to hunt for a rare failure.
 */
const RUNS = process.env.AGORA_SIM_SEED ? 1 : Number(process.env.AGORA_SIM_RUNS ?? 3);
const STEPS = 40;
const DIRS = ['', 'd1', 'd2', 'd1/e'];
const HEADER = /^chaos#(\d+)\|/;

type Snapshot = Record<string, MemorySnapshotEntry>;

interface World {
  sim: Simulation;
  /** By rank (device id order); a restart replaces the node at its rank. */
  nodes: AgoraNode[];
  names: string[];
  roots: string[];
  folderId: string;
}

/**
 * Makes a runaway timer loop (a timer that keeps re-arming itself at the same instant, so that
 * ManualClock.advance never returns and no test timeout can fire) fail the test instead, naming
 * where the timer was set.
 */
function guardTimers(sim: Simulation): void {
  const clock = sim.clock;
  let fired = 0;
  const advance = clock.advance.bind(clock);
  clock.advance = (ms: number) => {
    fired = 0;
    advance(ms);
  };
  const wrap = (set: typeof clock.setTimeout) => (fn: () => void, ms: number) => {
    const origin = new Error('timer set here').stack ?? '';
    return set(() => {
      if (++fired > 100_000) throw new Error(`ManualClock: over 100000 timers fired in one advance(): a timer loop. The last one was set at ${origin}`);
      fn();
    }, ms);
  };
  clock.setTimeout = wrap(clock.setTimeout.bind(clock));
  clock.setInterval = wrap(clock.setInterval.bind(clock));
}

/** File operations one node may make without the event loop turning once: far beyond any honest scan here. */
const LIVELOCK_OPS = 50_000;

/**
 * The memory disk answers without real I/O, so an engine that retries the same failing
 * operation at once spins in microtasks: no timer, no test timeout can ever run again. This
 * makes such a spin fail its folder operation instead (the engine then backs off) and records it.
 */
function guardLivelock(disk: MemoryFs, node: string, found: string[]): void {
  const open = disk.folder.bind(disk);
  let ops = 0;
  let turnPending = false;
  disk.folder = async (root, options) => {
    const folder = await open(root, options);
    return new Proxy(folder, {
      get(target, key, receiver) {
        const value: unknown = Reflect.get(target, key, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (!turnPending) {
            turnPending = true;
            setImmediate(() => {
              ops = 0;
              turnPending = false;
            });
          }
          // Once tripped, every operation fails until the loop turns, so the spin cannot go on.
          if (++ops === LIVELOCK_OPS + 1) {
            const what = `${node}: over ${LIVELOCK_OPS} file operations without the event loop turning once; the last: ${String(key)}(${JSON.stringify(args[0])})`;
            found.push(what);
          }
          if (ops > LIVELOCK_OPS) return Promise.reject(new Error(`livelock guard (${node}): the engine spins; see the test's report`));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  };
}

/** A space with a shared folder "Docs" on every node; nodes come back ranked by device id. */
async function sharedWorld(sim: Simulation, names: string[], livelocks: string[] = []): Promise<World> {
  const created = [];
  for (const name of names) {
    const node = await sim.node(name);
    guardLivelock(sim.disk(node), name, livelocks);
    created.push(node);
  }
  const nodes = [...created].sort((x, y) => (x.deviceId < y.deviceId ? -1 : 1));
  const [a, ...others] = nodes;
  a!.createSpace('Acme');
  for (const n of others) await n.join(a!.invite('Acme', { role: 'member', expiresInMs: DAY, uses: 1 }).code);
  const folder = await a!.sync.addFolder('Acme', `/sim/${a!.displayName}-docs`, 'Docs');
  await sim.until(() => nodes.every((n) => n.sync.sync(folder.folderId) !== undefined), 'folder on every node');
  return { sim, nodes, names: nodes.map((n) => n.displayName), roots: nodes.map((n) => n.sync.resolve(folder.folderId).path), folderId: folder.folderId };
}

/**
 * What the user of node i sees in the folder. The engine's temp files (a transfer in progress,
 * or one abandoned when its version was superseded: housekeeping removes those after a day)
 * are left out: users do not touch them and they never sync.
 */
function live(w: World, i: number): Snapshot {
  const snap = w.sim.disk(w.nodes[i]!).snapshot(w.roots[i]!);
  for (const path of Object.keys(snap)) if (isTempName(path.slice(path.lastIndexOf('/') + 1))) delete snap[path];
  return snap;
}

/** Path → "type mode sha256" for files, so that trees compare cheaply and print readably. */
function digest(snap: Snapshot): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [path, e] of Object.entries(snap)) {
    if (e.type === 'file') out[path] = `file ${(e.mode & 0o100) !== 0 ? 'x' : '-'} ${e.bytes!.length}B ${tagOf(e.bytes!) ?? createHash('sha256').update(e.bytes!).digest('hex').slice(0, 12)}`;
    else out[path] = e.type;
  }
  return out;
}

function tagOf(bytes: Buffer): string | null {
  const m = HEADER.exec(bytes.subarray(0, 32).toString('latin1'));
  return m ? `#${m[1]}` : null;
}

/** Every node idle, connected to all others and in sync with them, nothing needed, same tree. */
function converged(w: World): boolean {
  const others = w.nodes.length - 1;
  for (const n of w.nodes) {
    const s = n.sync.status(w.folderId);
    if (s.state !== 'idle' || s.needFiles !== 0 || s.peers.length !== others || !s.peers.every((p) => p.inSync)) return false;
  }
  const first = JSON.stringify(digest(live(w, 0)));
  return w.nodes.every((_, i) => JSON.stringify(digest(live(w, i))) === first);
}

/** What differs between the nodes' trees, and each node's own account of itself. */
function divergence(w: World): string {
  const digests = w.nodes.map((_, i) => digest(live(w, i)));
  const paths = [...new Set(digests.flatMap((d) => Object.keys(d)))].sort();
  const lines = [`trees (${w.names.join(' | ')}), differing paths only:`];
  for (const p of paths) {
    const values = digests.map((d) => d[p] ?? '—');
    if (values.some((v) => v !== values[0])) lines.push(`  ${p}: ${values.join(' | ')}`);
  }
  for (const [i, n] of w.nodes.entries()) {
    const s = n.sync.status(w.folderId);
    lines.push(
      `  ${w.names[i]}: state=${s.state} error=${s.error} needFiles=${s.needFiles} peers=${JSON.stringify(s.peers.map((p) => [p.deviceId.slice(0, 7), p.inSync]))} problems=${JSON.stringify(s.problems)}`,
    );
  }
  return lines.join('\n');
}

/** Lets the engine run for a few turns with the clock moving `ms` in total. */
async function pump(w: World, turns: number, ms: number): Promise<void> {
  for (let t = 0; t < turns; t++) {
    w.sim.clock.advance(Math.ceil(ms / turns));
    for (let k = 0; k < 4; k++) await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Simulated time the nodes get to converge once the network is whole: a pair cut off for long
 * redials only every 30 s (core/peers/backoff.ts), then exchanges indexes and blocks. Bounded in
 * simulated time, not real time: on a loaded machine each step takes longer, and a real-time
 * bound once ran out after a redial had begun, before its connection was up on both ends.
 */
const CONVERGE_SIM_MS = 120_000;
/** Only a backstop against a hang; the simulated bound decides. */
const CONVERGE_REAL_MS = 60_000;
/** The randomized tests' own limit: their steps plus a convergence under a loaded machine. */
const CHAOS_TEST_MS = 120_000;

/** Waits for convergence; on timeout fails with what diverged. */
async function awaitConvergence(w: World, what: string): Promise<void> {
  try {
    await w.sim.until(() => converged(w), what, CONVERGE_REAL_MS, { simMs: CONVERGE_SIM_MS });
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${divergence(w)}`, { cause: err });
  }
}

function randomBytes(seed: number, size: number): Buffer {
  const draw = mulberry32(seed);
  const out = Buffer.alloc(size + 3);
  for (let i = 0; i < size; i += 4) out.writeUInt32LE(Math.floor(draw() * 0x1_0000_0000), i);
  return out.subarray(0, size);
}

describe('simulation: chaos', () => {
  let sims: Simulation[] = [];
  afterEach(async () => {
    await Promise.all(sims.map((s) => s.close()));
    sims = [];
  });

  // Seeds that once failed stay as regression runs (device keys differ per run, so a seed
  // replays the schedule and the edits, not every byte). 3291198793: a conflict copy was made
  // before the winner could be fetched, and the index went on announcing the moved file.
  const runs = [...Array.from({ length: RUNS }, (_, i) => ({ name: `run ${i}`, seed: undefined as number | undefined })), { name: 'seed 3291198793', seed: 3291198793 }];
  it.each(runs)('random edits under random partitions and restarts converge and lose nothing ($name)', async ({ seed }) => {
    const sim = new Simulation(seed);
    sims.push(sim);
    guardTimers(sim);
    // Printed up front too: a run that hangs the event loop never reaches onTestFailed.
    process.stderr.write(`chaos: seed ${sim.hub.seed}\n`);
    const livelocks: string[] = [];
    const w = await sharedWorld(sim, ['Alice', 'Bob', 'Carol'], livelocks);
    const rnd = () => sim.hub.random();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;

    /** Every content written, by tag; who wrote it; which nodes held it live; whose user threw it away. */
    const written = new Map<string, { bytes: Buffer; by: number; path: string }>();
    const heldBy = new Map<string, Set<number>>();
    const discardedBy = new Map<string, Set<number>>();
    const log: string[] = [];
    let counter = 0;
    let partitioned = false;

    const note = (map: Map<string, Set<number>>, tag: string, node: number) => {
      let set = map.get(tag);
      if (!set) map.set(tag, (set = new Set()));
      set.add(node);
    };
    const observe = () => {
      for (let i = 0; i < w.nodes.length; i++) {
        for (const e of Object.values(live(w, i))) {
          const tag = e.type === 'file' ? tagOf(e.bytes!) : null;
          if (tag) note(heldBy, tag, i);
        }
      }
    };
    /** The user of node i is about to throw away whatever is at `path` (a file or a whole directory). */
    const discard = (i: number, path: string) => {
      for (const [p, e] of Object.entries(live(w, i))) {
        if ((p === path || p.startsWith(path + '/')) && e.type === 'file') {
          const tag = tagOf(e.bytes!);
          if (tag) note(discardedBy, tag, i);
        }
      }
    };
    const content = (i: number, path: string): Buffer => {
      const n = ++counter;
      const head = Buffer.from(`chaos#${n}|${w.names[i]}|${path}\n`);
      // Mostly small files; some span several blocks, so that transfers get cut by partitions.
      const bytes = rnd() < 0.15 ? Buffer.concat([head, randomBytes(n, 64 * 1024 + Math.floor(rnd() * 400 * 1024))]) : head;
      written.set(`#${n}`, { bytes, by: i, path });
      note(heldBy, `#${n}`, i);
      return bytes;
    };

    for (let step = 0; step < STEPS; step++) {
      const r = rnd();
      if (r < 0.12) {
        if (partitioned && rnd() < 0.5) {
          sim.hub.heal();
          partitioned = false;
          log.push(`${step}: heal`);
        } else {
          sim.hub.heal();
          const sides = sim.hub.randomPartition(w.nodes.map((n) => n.deviceId));
          partitioned = true;
          log.push(`${step}: partition ${sides.map((s) => s.map((id) => w.names[w.nodes.findIndex((n) => n.deviceId === id)]).join('+')).join(' / ')}`);
        }
      } else if (r < 0.16) {
        const i = Math.floor(rnd() * w.nodes.length);
        w.nodes[i] = await sim.restart(w.nodes[i]!);
        log.push(`${step}: restart ${w.names[i]}`);
      } else {
        const i = Math.floor(rnd() * w.nodes.length);
        const root = w.roots[i]!;
        const disk = sim.disk(w.nodes[i]!);
        const snap = live(w, i);
        const files = Object.keys(snap).filter((p) => snap[p]!.type === 'file');
        const dirs = Object.keys(snap).filter((p) => snap[p]!.type === 'dir');
        const freshName = (dir: string, stem: string) => {
          let p: string;
          do p = `${dir === '' ? '' : dir + '/'}${stem}${counter + 1}-${Math.floor(rnd() * 1000)}.txt`;
          while (snap[p] !== undefined);
          return p;
        };
        const op = rnd();
        // A path under a file that exists here cannot be created: fall back to the root.
        const dirOk = (d: string) => d === '' || d.split('/').every((_, k, parts) => snap[parts.slice(0, k + 1).join('/')]?.type !== 'file');
        const someDir = () => {
          const d = pick([...DIRS, ...dirs]);
          return dirOk(d) ? d : '';
        };
        if (op < 0.3 || files.length === 0) {
          const path = freshName(someDir(), 'f');
          disk.userWrite(root, path, content(i, path));
          log.push(`${step}: ${w.names[i]} create ${path} #${counter}`);
        } else if (op < 0.55) {
          const path = pick(files);
          discard(i, path);
          disk.userWrite(root, path, content(i, path));
          log.push(`${step}: ${w.names[i]} overwrite ${path} #${counter}`);
        } else if (op < 0.7) {
          const path = rnd() < 0.2 && dirs.length > 0 ? pick(dirs) : pick(files);
          discard(i, path);
          disk.userDelete(root, path);
          log.push(`${step}: ${w.names[i]} delete ${path}`);
        } else if (op < 0.88) {
          const from = pick(files);
          const to = freshName(someDir(), 'r');
          disk.userRename(root, from, to);
          log.push(`${step}: ${w.names[i]} rename ${from} -> ${to}`);
        } else {
          const path = `${someDir()}/m${++counter}`.replace(/^\//, '');
          disk.userMkdir(root, path);
          log.push(`${step}: ${w.names[i]} mkdir ${path}`);
        }
      }
      await pump(w, 1 + Math.floor(rnd() * 8), 50 + Math.floor(rnd() * 1500));
      if (livelocks.length > 0) throw new Error(`engine livelock after step ${step}:\n  ${livelocks.join('\n  ')}\nsteps:\n  ${log.join('\n  ')}\n${divergence(w)}`);
      observe();
    }

    sim.hub.heal();
    log.push('end: heal');
    try {
      await awaitConvergence(w, 'every node idle with identical trees after the final heal');
    } catch (err) {
      throw new Error(`${(err as Error).message}\nseed: ${sim.hub.seed} (replay with AGORA_SIM_SEED=${sim.hub.seed})\nlivelocks: ${livelocks.join('; ') || 'none'}\nsteps:\n  ${log.join('\n  ')}`, { cause: err });
    }
    expect(livelocks).toEqual([]);
    observe();

    // No lost version: a content some node held and whose user there never threw it away must
    // still exist with its exact bytes — in some node's tree, as a conflict copy, or under
    // .agora/versions — and even on every such node itself (the engine archives before it replaces).
    const everywhere = w.nodes.map((n, i) => {
      const found = new Map<string, Buffer>();
      for (const [p, e] of Object.entries(sim.disk(n).snapshot(w.roots[i]!, { ignore: [] }))) {
        if (isTempName(p.slice(p.lastIndexOf('/') + 1))) continue; // a transfer's partial file, not a kept version
        const tag = e.type === 'file' ? tagOf(e.bytes!) : null;
        if (tag && written.get(tag)?.bytes.equals(e.bytes!)) found.set(tag, e.bytes!);
        else if (tag) found.set(`${tag}:corrupt:${p}`, e.bytes!);
      }
      return found;
    });
    const corrupt = everywhere.flatMap((f, i) => [...f.keys()].filter((k) => k.includes(':corrupt:')).map((k) => `${w.names[i]} ${k}`));
    const lostEverywhere: string[] = [];
    const lostOnNode: string[] = [];
    for (const [tag, info] of written) {
      const keepers = [...(heldBy.get(tag) ?? [])].filter((i) => !discardedBy.get(tag)?.has(i));
      if (keepers.length === 0) continue; // every user who had it threw it away
      const describe = `${tag} (written by ${w.names[info.by]} at ${info.path}; held by ${[...(heldBy.get(tag) ?? [])].map((i) => w.names[i]).join(',')}; thrown away by ${[...(discardedBy.get(tag) ?? [])].map((i) => w.names[i]).join(',') || 'nobody'})`;
      if (!everywhere.some((f) => f.has(tag))) lostEverywhere.push(describe);
      for (const i of keepers) if (!everywhere[i]!.has(tag)) lostOnNode.push(`${w.names[i]} lost ${describe}`);
    }
    const report = `\nsteps:\n  ${log.join('\n  ')}\nfinal tree: ${JSON.stringify(digest(live(w, 0)), null, 1)}`;
    expect(corrupt, `contents with wrong bytes${report}`).toEqual([]);
    expect(lostEverywhere, `versions lost on every node${report}`).toEqual([]);
    expect(lostOnNode, `versions a node held and lost without its user discarding them${report}`).toEqual([]);
  }, CHAOS_TEST_MS);

  it.each(Array.from({ length: RUNS }, (_, i) => i))('a node that crashes mid-transfer and restarts resumes and converges (run %i)', async () => {
    const sim = new Simulation();
    sims.push(sim);
    const w = await sharedWorld(sim, ['Alice', 'Bob']);
    const sender = Math.floor(sim.hub.random() * 2);
    const receiver = 1 - sender;
    const big = randomBytes(Math.floor(sim.hub.random() * 0x1_0000_0000), 2 * 1024 * 1024);
    const receiverDisk = sim.disk(w.nodes[receiver]!);
    const receiverRoot = w.roots[receiver]!.split('/').filter((s) => s !== '');
    // Crash once the receiver has written a few blocks into its temp file: the transfer has begun, not ended.
    let writes = 0;
    const off = receiverDisk.tree.onChange((at) => {
      const rel = at.slice(receiverRoot.length);
      if (receiverRoot.every((s, k) => at[k] === s) && rel[rel.length - 1]?.startsWith('.agora-tmp-')) writes++;
    });
    sim.disk(w.nodes[sender]!).userWrite(w.roots[sender]!, 'sub/big.bin', big);
    const deadline = Date.now() + 10_000;
    while (writes < 3) {
      if (Date.now() > deadline) throw new Error('timed out waiting for the receiver to start writing big.bin');
      sim.clock.advance(50);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    off();
    w.nodes[receiver] = await sim.restart(w.nodes[receiver]!);

    const afterCrash = receiverDisk.snapshot(w.roots[receiver]!, { ignore: [] });
    expect(afterCrash['sub/big.bin'], 'the transfer ended before the crash; nothing was tested').toBeUndefined();
    const partial = Object.entries(afterCrash).filter(([p]) => p.includes('.agora-tmp-'));
    expect(partial.length, 'a partial temp file is left by the crash').toBe(1);

    await awaitConvergence(w, 'big.bin complete on the restarted node');
    const got = receiverDisk.snapshot(w.roots[receiver]!, { ignore: [] });
    expect(got['sub/big.bin']?.bytes?.equals(big)).toBe(true);
    expect(Object.keys(got).filter((p) => p.includes('.agora-tmp-'))).toEqual([]);
    // The blocks written before the crash were re-used, not fetched again.
    expect(w.nodes[receiver]!.sync.status(w.folderId).transfer?.reusedBytes ?? 0).toBeGreaterThan(0);
  }, CHAOS_TEST_MS);
});

import type { DecodedEntry, LogStub } from '../../protocol/index.js';
import { revokedMember, SpaceState } from './space-state.js';

export interface ReplayResult {
  state: SpaceState;
  /** Every entry whose parents are all present, in the deterministic order of replay. */
  order: DecodedEntry[];
  /** Ids of the entries that took effect. */
  applied: Set<string>;
  /** Entries that did not take effect, with the reason. */
  rejected: Map<string, string>;
  /** Entries waiting for a parent this node does not have yet. */
  orphans: DecodedEntry[];
  /** Ids no placed entry or stub follows: what a new entry must follow. */
  heads: string[];
}

/**
 * Replays a space log. Every node that holds the same entries reaches the same state:
 * 1. entries are put in a deterministic topological order (parents first, ties by id);
 * 2. each entry takes effect only if its author had the authority at that point;
 * 3. a removal or demotion wins over what the removed member did concurrently (neither
 *    before nor after it causally): those actions are dropped, and replay starts over
 *    until nothing more is dropped.
 * A guest holds part of the log (see guest-view.ts): `stubs` stand for the entries it may not
 * see. They take part in the order and in causality, never in the state.
 */
export function replay(spaceId: string, entries: readonly DecodedEntry[], stubs: readonly LogStub[] = []): ReplayResult {
  const placed = topologicalOrder<LogNode>([...entries.map(nodeOf), ...stubs.map((s) => ({ id: s.id, parents: s.parents }))]);
  const order = placed.order.flatMap((n) => (n.entry ? [n.entry] : []));
  const orphans = placed.orphans.flatMap((n) => (n.entry ? [n.entry] : []));
  const graph = new CausalGraph(placed.order);
  const heads = headsOf(placed.order);
  const excluded = new Map<string, string>();
  for (let round = 0; ; round++) {
    const pass = applyInOrder(spaceId, order, excluded);
    const dropped = concurrentWithRevocation(order, pass.applied, graph).filter(([id]) => !excluded.has(id));
    if (dropped.length === 0 || round > order.length) {
      for (const [id, reason] of excluded) pass.rejected.set(id, reason);
      return { ...pass, order, orphans, heads };
    }
    for (const [id, reason] of dropped) excluded.set(id, reason);
  }
}

function applyInOrder(spaceId: string, order: DecodedEntry[], excluded: Map<string, string>) {
  const state = new SpaceState(spaceId);
  const applied = new Set<string>();
  const rejected = new Map<string, string>();
  for (const entry of order) {
    if (excluded.has(entry.id)) continue;
    const reason = state.authorize(entry);
    if (reason === null) {
      state.apply(entry);
      applied.add(entry.id);
    } else {
      rejected.set(entry.id, reason);
    }
  }
  return { state, applied, rejected };
}

function concurrentWithRevocation(order: DecodedEntry[], applied: Set<string>, graph: CausalGraph): [string, string][] {
  const dropped: [string, string][] = [];
  for (const revocation of order) {
    if (!applied.has(revocation.id)) continue;
    const target = revokedMember(revocation);
    if (target === null) continue;
    const related = graph.related(revocation.id);
    for (const entry of order) {
      if (entry.content.author !== target || entry.id === revocation.id) continue;
      if (!applied.has(entry.id) || related.has(entry.id)) continue;
      dropped.push([entry.id, `author lost its rights in concurrent entry ${revocation.id.slice(0, 12)}`]);
    }
  }
  return dropped;
}

/** A node of the causal graph: an entry, or a stub that stands for one this device may not see. */
export interface LogNode {
  id: string;
  parents: readonly string[];
  entry?: DecodedEntry;
}

function nodeOf(entry: DecodedEntry): LogNode {
  return { id: entry.id, parents: entry.content.parents, entry };
}

function headsOf(order: readonly LogNode[]): string[] {
  const followed = new Set<string>();
  for (const n of order) for (const p of n.parents) followed.add(p);
  return order.filter((n) => !followed.has(n.id)).map((n) => n.id);
}

/** Kahn's algorithm with ties broken by id, so the order depends only on the set of nodes. */
export function topologicalOrder<N extends { id: string; parents: readonly string[] }>(nodes: readonly N[]): { order: N[]; orphans: N[] } {
  const byId = new Map<string, N>();
  // An entry and a stub of the same id: the entry counts (it is listed first by replay).
  for (const n of nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  const children = new Map<string, string[]>();
  const missing = new Map<string, number>();
  for (const e of byId.values()) {
    let waiting = 0;
    for (const p of e.parents) {
      if (!byId.has(p)) waiting = Number.POSITIVE_INFINITY;
      else {
        waiting++;
        const list = children.get(p) ?? [];
        list.push(e.id);
        children.set(p, list);
      }
    }
    missing.set(e.id, waiting);
  }
  const ready = [...byId.values()].filter((e) => missing.get(e.id) === 0).map((e) => e.id);
  const order: N[] = [];
  while (ready.length > 0) {
    ready.sort();
    const id = ready.shift()!;
    order.push(byId.get(id)!);
    for (const child of children.get(id) ?? []) {
      const left = missing.get(child)! - 1;
      missing.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  const placed = new Set(order.map((e) => e.id));
  return { order, orphans: [...byId.values()].filter((e) => !placed.has(e.id)) };
}

class CausalGraph {
  private readonly parents = new Map<string, string[]>();
  private readonly children = new Map<string, string[]>();

  constructor(order: readonly LogNode[]) {
    for (const e of order) {
      this.parents.set(e.id, [...e.parents]);
      for (const p of e.parents) {
        const list = this.children.get(p) ?? [];
        list.push(e.id);
        this.children.set(p, list);
      }
    }
  }

  /** Ancestors and descendants of id: every entry that is not concurrent with it. */
  related(id: string): Set<string> {
    const seen = new Set<string>();
    this.walk(id, this.parents, seen);
    this.walk(id, this.children, seen);
    return seen;
  }

  private walk(start: string, edges: Map<string, string[]>, seen: Set<string>): void {
    const stack = [...(edges.get(start) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(edges.get(id) ?? []));
    }
  }
}

import { createContext, useCallback, useContext, useEffect, useEffectEvent, useRef, useState, type ReactNode } from 'react';
import type { EventMessage, EventType } from '../../src/contract/api.js';
import { api, problemOf, type Problem } from './api.js';

type Listener = (event: EventMessage) => void;

interface LiveContext {
  connected: boolean;
  /** Bumped on every (re)connection: what was loaded before may be stale. */
  generation: number;
  activity: EventMessage[];
  subscribe(listener: Listener): () => void;
}

const Ctx = createContext<LiveContext | null>(null);
const ACTIVITY_LIMIT = 300;
const QUIET: ReadonlySet<EventType> = new Set(['hello', 'folder.progress']);

/** One event stream for the whole app; it reconnects by itself when the node comes back. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const listeners = useRef(new Set<Listener>());
  const [connected, setConnected] = useState(false);
  const [generation, setGeneration] = useState(0);
  const [activity, setActivity] = useState<EventMessage[]>([]);

  useEffect(() => {
    let close: (() => void) | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let delay = 500;
    let stopped = false;
    const connect = () => {
      close = api.events(
        (event) => {
          if (event.type === 'hello') {
            delay = 500;
            setConnected(true);
            setGeneration((g) => g + 1);
          }
          if (!QUIET.has(event.type)) setActivity((list) => [event, ...list].slice(0, ACTIVITY_LIMIT));
          for (const l of listeners.current) l(event);
        },
        undefined,
        () => {
          setConnected(false);
          if (stopped) return;
          retry = setTimeout(connect, delay);
          delay = Math.min(delay * 2, 10_000);
        },
      );
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      close?.();
    };
  }, []);

  const subscribe = useCallback((listener: Listener) => {
    listeners.current.add(listener);
    return () => void listeners.current.delete(listener);
  }, []);

  return <Ctx.Provider value={{ connected, generation, activity, subscribe }}>{children}</Ctx.Provider>;
}

export function useLiveContext(): LiveContext {
  const ctx = useContext(Ctx);
  if (!ctx) throw new Error('useLiveContext outside LiveProvider');
  return ctx;
}

/** Calls `handler` for every event that `match` accepts. */
export function useEvents(match: (event: EventMessage) => boolean, handler: (event: EventMessage) => void): void {
  const { subscribe } = useLiveContext();
  const onEvent = useEffectEvent((e: EventMessage) => {
    if (match(e)) handler(e);
  });
  useEffect(() => subscribe((e) => onEvent(e)), [subscribe]);
}

export interface Live<T> {
  data: T | undefined;
  problem: Problem | null;
  reload: () => void;
}

/**
 * Data from the node that stays current: loaded once, then again (at most every `throttleMs`)
 * whenever an event that `match` accepts arrives, and after the stream reconnects.
 */
export function useLive<T>(load: (signal: AbortSignal) => Promise<T>, key: string, match: (event: EventMessage) => boolean, throttleMs = 250): Live<T> {
  const { generation } = useLiveContext();
  // Results are tagged with their key, so a new key shows nothing stale while it loads.
  const [result, setResult] = useState<{ key: string; data?: T; problem: Problem | null }>({ key, problem: null });
  const [tick, setTick] = useState(0);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const run = useEffectEvent((signal: AbortSignal) => load(signal));

  useEffect(() => {
    const abort = new AbortController();
    run(abort.signal).then(
      (value) => setResult({ key, data: value, problem: null }),
      (err: unknown) => {
        if (!abort.signal.aborted) setResult((r) => ({ key, data: r.key === key ? r.data : undefined, problem: problemOf(err) }));
      },
    );
    return () => abort.abort();
  }, [key, tick, generation]);

  const reload = useCallback(() => setTick((t) => t + 1), []);
  useEvents(match, () => {
    if (pending.current !== undefined) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      reload();
    }, throttleMs);
  });
  useEffect(() => () => clearTimeout(pending.current), []);
  const current = result.key === key;
  return { data: current ? result.data : undefined, problem: current ? result.problem : null, reload };
}

/** Events about one space (or about membership in general, which may concern it). */
export function aboutSpace(spaceId: string) {
  return (e: EventMessage) => {
    const d = e.data as { spaceId?: string; spaceIds?: string[] } | null;
    return d?.spaceId === spaceId || (d?.spaceIds?.includes(spaceId) ?? false);
  };
}

export function aboutFolder(folderId: string) {
  return (e: EventMessage) => (e.data as { folderId?: string } | null)?.folderId === folderId;
}

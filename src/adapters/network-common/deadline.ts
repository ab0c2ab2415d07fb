import { AbortedError, TimeoutError } from '../../errors/index.js';

/**
 * Runs `task` with a signal that fires when the caller's signal fires or `timeoutMs` passes,
 * so that every attempt of a dial is bounded and cancellable the same way.
 *
 * The task must give up promptly when the signal fires (destroy its socket or stream and
 * reject); the helper then rethrows the signal's reason (AbortedError or TimeoutError).
 * It does not race the task: a task that resolves owns a live resource the caller must get.
 */
export async function withDeadline<T>(
  task: (signal: AbortSignal) => Promise<T>,
  options: { timeoutMs: number; signal?: AbortSignal | undefined; what: string },
): Promise<T> {
  const { timeoutMs, signal, what } = options;
  if (signal?.aborted) throw new AbortedError();

  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`${what} timed out after ${timeoutMs} ms.`)),
    timeoutMs,
  );
  timer.unref();
  const onAbort = (): void => controller.abort(new AbortedError());
  signal?.addEventListener('abort', onAbort, { once: true });

  try {
    return await task(controller.signal);
  } catch (err) {
    if (controller.signal.aborted) throw controller.signal.reason as Error;
    throw err;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}

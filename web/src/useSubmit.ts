import { useCallback, useState, type FormEvent } from 'react';
import { problemOf, type Problem } from './api.js';

/**
 * Something the user asks the node to do from a button or a list (no form): `run(action)` runs
 * one action at a time, shows it as busy, and keeps the node's answer to a failure as a Problem
 * for <ProblemAlert>. Resolves true when the action succeeded.
 */
export function useAction(): { busy: boolean; problem: Problem | null; run: (action: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = useCallback(async (action: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await action();
      return true;
    } catch (err) {
      setProblem(problemOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const clear = useCallback(() => setProblem(null), []);
  return { busy, problem, run, clear };
}

/**
 * A form that asks the node something: `onSubmit` runs `action` once at a time, shows it as busy,
 * and keeps the node's answer to a failure as a Problem for <ProblemAlert>.
 */
export function useSubmit(action: () => Promise<void>): { busy: boolean; problem: Problem | null; onSubmit: (e: FormEvent) => void } {
  const { busy, problem, run } = useAction();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    void run(action);
  };
  return { busy, problem, onSubmit };
}

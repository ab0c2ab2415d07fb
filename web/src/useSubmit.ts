import { useState, type FormEvent } from 'react';
import { problemOf, type Problem } from './api.js';

/**
 * A form that asks the node something: `onSubmit` runs `action` once at a time, shows it as busy,
 * and keeps the node's answer to a failure as a Problem for <ProblemAlert>.
 */
export function useSubmit(action: () => Promise<void>): { busy: boolean; problem: Problem | null; onSubmit: (e: FormEvent) => void } {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setProblem(null);
    action()
      .catch((err: unknown) => setProblem(problemOf(err)))
      .finally(() => setBusy(false));
  };
  return { busy, problem, onSubmit };
}
